/**
 * A block's {@code tombstones} file: deleted time ranges per series reference
 * ({@link io.tsdbcompactor.tombstones.Tombstones}).
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.tombstones;
