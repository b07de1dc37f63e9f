package io.tsdbcompactor.index;

import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.labels.Labels;
import java.util.List;

/**
 * One series entry of an index: its reference (entry offset / 16, the value postings lists and tombstones
 * use), its labels and its chunk metas (time ranges and chunk references; chunks not loaded).
 */
public record IndexSeries(long ref, Labels labels, List<ChunkMeta> chunks) {}
