package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.labels.Labels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits synced metas into {@link Group}s as Thanos's DefaultGrouper does: one group per (resolution, external
 * labels) with the deduplication replica labels removed, groups sorted by key (string order).
 */
public final class Grouper {
  private final List<String> replicaLabels;

  /** A grouper that drops these external labels (Thanos's {@code --deduplication.replica-label}) before grouping. */
  public Grouper(List<String> replicaLabels) {
    this.replicaLabels = List.copyOf(replicaLabels);
  }

  /** Groups metas by resolution and external labels (replica labels removed), in group key order. */
  public List<Group> group(Collection<BlockMeta> metas) {
    Map<String, Group> byKey = new TreeMap<>();
    for (BlockMeta m : metas) {
      Labels labels = m.externalLabels().without(replicaLabels.toArray(new String[0]));
      long res = m.resolution();
      byKey.computeIfAbsent(Group.key(labels, res), k -> new Group(labels, res)).add(m);
    }
    return new ArrayList<>(byKey.values());
  }
}
