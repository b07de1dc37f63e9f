/**
 * Published API: {@link io.tsdbcompactor.labels.Labels}, a series' (or a block's external) label set, ordered and
 * compared as Prometheus orders and compares them (strings by their UTF-8 bytes); {@link
 * io.tsdbcompactor.labels.LabelMatchers}; and {@link io.tsdbcompactor.labels.Relabeler}, Prometheus's relabel rules.
 */
package io.tsdbcompactor.labels;
