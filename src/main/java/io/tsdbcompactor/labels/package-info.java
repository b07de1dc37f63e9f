/**
 * Published API: {@link io.tsdbcompactor.labels.Labels}, a series' (or a block's external) label set, ordered and
 * compared as Prometheus orders and compares them (strings by their UTF-8 bytes).
 */
package io.tsdbcompactor.labels;
