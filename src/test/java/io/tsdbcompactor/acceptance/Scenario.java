package io.tsdbcompactor.acceptance;

import static io.tsdbcompactor.acceptance.OpenMetricsGen.D;
import static io.tsdbcompactor.acceptance.OpenMetricsGen.H;

import io.tsdbcompactor.acceptance.OpenMetricsGen.Import;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The acceptance data sets: promtool-made blocks with a Thanos sidecar section, copied into a filesystem bucket
 * directory, and per group a plain copy of the inputs (for promtool dumps and a Prometheus serving them).
 */
final class Scenario {
  /** 2023-11-15T00:00:00Z, a multiple of 2d since the epoch, so Thanos's 2h/8h/2d ranges line up with days. */
  static final long T0 = 1_700_006_400_000L;
  static final long MIN = 60_000L;

  private Scenario() {}

  /**
   * Issue 4's data. Group {@code cluster="a"}: 300 series over [0h,58h) with a gap at [30h,34h); an overlapping
   * import on [11h,15h) repeating 150 of them sample for sample plus 50 new series; a third on [40h,44h) with 50
   * of the same series scraped 7s later with other values. Group {@code cluster="b"}: 200 series over [0h,56h)
   * plus 60 series that appear at 20h and 30 sparse ones scraped every 47 minutes; b's external labels carry
   * unicode and characters Go's JSON escapes. Scrapes every minute with sub-second jitter unless said otherwise.
   *
   * @return group name -> directory holding that group's input blocks (also copied into {@code bucket})
   */
  static Map<String, Path> issue4(Path work, Path bucket) throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("a", List.of(
        new Import(1, 0, 300, T0, T0 + 58 * H, T0 + 30 * H, T0 + 34 * H, MIN, 900, 0),
        new Import(1, 150, 200, T0 + 11 * H, T0 + 15 * H, 0, 0, MIN, 900, 0),
        new Import(7, 0, 50, T0 + 40 * H, T0 + 44 * H, 0, 0, MIN, 900, 7000)));
    groups.put("b", List.of(
        new Import(2, 0, 200, T0, T0 + 56 * H, 0, 0, MIN, 900, 0),
        new Import(3, 200, 60, T0 + 20 * H, T0 + 56 * H, 0, 0, MIN, 900, 0),
        new Import(4, 400, 30, T0, T0 + 56 * H, 0, 0, 47 * MIN, 900, 0)));
    return build(work, bucket, groups, 2 * H, Map.of("a", Map.of("cluster", "a"),
        "b", Map.of("cluster", "b", "region", "eu-ö 東京 <&> \\\"q\\\"")));
  }

  /**
   * Conflicting samples: 50 series over [0h,8h) and two imports of the same series with other values at the
   * very same timestamps, on [2h,4h) and [3h,5h). Imported in this order (so their ULIDs sort the same way).
   */
  static Path conflict(Path work, Path bucket) throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("a", List.of(new Import(1, 0, 50, T0, T0 + 8 * H, 0, 0, MIN, 900, 0),
        new Import(9, 0, 50, T0 + 2 * H, T0 + 4 * H, 0, 0, MIN, 900, 0),
        new Import(11, 0, 50, T0 + 3 * H, T0 + 5 * H, 0, 0, MIN, 900, 0)));
    return build(work, bucket, groups, 2 * H).get("a");
  }

  /** 1699488000000 = 2023-11-09T00:00:00Z, a multiple of 14d (and so of 2d) since the epoch. */
  static final long T14 = 1_699_488_000_000L;

  /**
   * Issue 5's long data set: group {@code cluster="c"}, 12 series scraped every 2 minutes over 19 days from
   * {@link #T14}, in 2h promtool blocks (one OpenMetrics file per day).
   *
   * @return the directory holding the input blocks (also copied into {@code bucket} when it is not null)
   */
  static Path issue5(Path work, Path bucket) throws Exception {
    Map<String, List<Import>> groups = new LinkedHashMap<>();
    groups.put("c", List.of(new Import(5, 0, 12, T14, T14 + 19 * D, 0, 0, 2 * MIN, 900, 0)));
    return build(work, bucket, groups, D).get("c");
  }

  static Map<String, Path> build(Path work, Path bucket, Map<String, List<Import>> groups, long fileSpan)
      throws Exception {
    Map<String, Map<String, String>> labels = new LinkedHashMap<>();
    for (String g : groups.keySet()) {
      labels.put(g, Map.of("cluster", g));
    }
    return build(work, bucket, groups, fileSpan, labels);
  }

  /** As above, with the external labels of each group given (JSON-escaped values). */
  static Map<String, Path> build(Path work, Path bucket, Map<String, List<Import>> groups, long fileSpan,
      Map<String, Map<String, String>> extLabels) throws Exception {
    if (bucket != null) {
      Files.createDirectories(bucket);
    }
    Map<String, Path> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, List<Import>> g : groups.entrySet()) {
      Path in = work.resolve("in-" + g.getKey());
      Files.createDirectories(in);
      int n = 0;
      for (Import im : g.getValue()) {
        Path om = work.resolve("om-" + g.getKey() + n);
        Path out = work.resolve("import-" + g.getKey() + n);
        List<Path> files = OpenMetricsGen.write(im, om, "f", fileSpan);
        Tools.importOpenMetrics(files, out);
        Tools.deleteTree(om);
        for (Path b : Tools.blocks(out)) {
          Tools.addThanosSection(b, extLabels.get(g.getKey()));
          if (bucket != null) {
            Tools.copyTree(b, bucket.resolve(b.getFileName().toString()));
          }
          Files.move(b, in.resolve(b.getFileName().toString()));
        }
        Tools.deleteTree(out);
        n++;
      }
      inputs.put(g.getKey(), in);
    }
    return inputs;
  }

  /**
   * Manual use: {@code Scenario issue4|issue5|conflict WORKDIR} builds WORKDIR/bucket and WORKDIR/in-<group>
   * (run with the test classpath).
   */
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[1]);
    if (args[0].equals("issue4")) {
      issue4(work, work.resolve("bucket"));
    } else if (args[0].equals("conflict")) {
      conflict(work, work.resolve("bucket"));
    } else if (args[0].equals("issue5")) {
      issue5(work, work.resolve("bucket"));
    } else {
      throw new IllegalArgumentException(args[0]);
    }
  }
}
