/**
 * Internal: one run of {@code compact} from end to end (clean up, compact, downsample, retention), its options,
 * sharding and report. It belongs to the {@code tsdb-compactor} program, not to the library API, may change in
 * any release without notice, and is left out of the javadoc jar. The published packages are listed in {@code
 * docs/library.md}.
 */
package io.tsdbcompactor.job;
