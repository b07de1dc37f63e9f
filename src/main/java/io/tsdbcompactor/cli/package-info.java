/**
 * Internal: the command line (picocli commands, logging setup with logback, progress output, the summary). It
 * belongs to the {@code tsdb-compactor} program, not to the library API, may change in any release without
 * notice, and is left out of the javadoc jar. The published packages are listed in {@code docs/library.md}.
 */
package io.tsdbcompactor.cli;
