/**
 * A small tracing facade (spans with attributes, carried across worker threads) so the compaction, transfer and
 * retention code can be traced without depending on a tracing library; the command line backs it with
 * OpenTelemetry when {@code --tracing.config} is given.
 */
package io.tsdbcompactor.tracing;
