package io.tsdbcompactor.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.labels.Relabeler;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code --selector.relabel-config}: which blocks this compactor owns, decided by Prometheus relabel rules
 * ({@link Relabeler}) over a block's external labels plus {@code __block_id}. As in Thanos
 * ({@code block.SelectorSupportedRelabelActions}) only {@code keep}, {@code drop} and {@code hashmod} are allowed; a
 * block whose rules drop it (or leave no label) is not touched.
 */
public final class RelabelFilter {
  public static final RelabelFilter KEEP_ALL = new RelabelFilter(Relabeler.NONE);
  private static final String FLAG = "--selector.relabel-config";

  private final Relabeler relabeler;

  private RelabelFilter(Relabeler relabeler) {
    this.relabeler = relabeler;
  }

  /** Parses the rules; null or blank YAML keeps every block. {@link IllegalArgumentException} on bad rules. */
  public static RelabelFilter parse(String yaml) {
    if (yaml == null || yaml.isBlank()) {
      return KEEP_ALL;
    }
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException(FLAG + " is not valid YAML: " + e.getMessage(), e);
    }
    Relabeler r = Relabeler.parse(root, FLAG)
        .requireActions(EnumSet.of(Relabeler.Action.KEEP, Relabeler.Action.DROP, Relabeler.Action.HASHMOD), FLAG);
    return r.isEmpty() ? KEEP_ALL : new RelabelFilter(r);
  }

  /** Whether this compactor works on the block. */
  public boolean keep(BlockMeta m) {
    if (relabeler.isEmpty()) {
      return true;
    }
    Map<String, String> labels = new TreeMap<>(m.externalLabels().toMap());
    labels.put("__block_id", m.ulid);
    return relabeler.apply(Labels.fromMap(labels)) != null;
  }
}
