/**
 * Internal: Micrometer meters with Thanos's names, the {@code /metrics} HTTP server and the Pushgateway client.
 * It belongs to the {@code tsdb-compactor} program, not to the library API, may change in any release without
 * notice, and is left out of the javadoc jar. The published packages are listed in {@code docs/library.md}.
 */
package io.tsdbcompactor.metrics;
