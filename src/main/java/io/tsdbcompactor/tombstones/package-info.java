/** A block's {@code tombstones} file: deleted time ranges per series reference ({@link io.tsdbcompactor.tombstones.Tombstones}). */
package io.tsdbcompactor.tombstones;
