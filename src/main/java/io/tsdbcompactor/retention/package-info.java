/**
 * Internal: retention per resolution as the {@code compact} run applies it. It belongs to the {@code tsdb-
 * compactor} program, not to the library API, may change in any release without notice, and is left out of the
 * javadoc jar. The published packages are listed in {@code docs/library.md}.
 */
package io.tsdbcompactor.retention;
