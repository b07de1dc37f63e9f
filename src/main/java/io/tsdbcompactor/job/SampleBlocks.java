package io.tsdbcompactor.job;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.BlockWriter;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Realistic raw blocks as a Prometheus + Thanos sidecar uploads them, written with our own {@link BlockWriter}
 * (no promtool needed): aligned blocks of {@code blockLength} with external labels, node-exporter-like series
 * (CPU counters per mode, memory and load gauges, HTTP request counters with resets, {@code up}), XOR chunks cut
 * at 120 samples as Prometheus cuts them, and every {@code overlapEvery}-th block followed by a block that
 * re-covers half of it with the same samples (a restarted Prometheus uploading again), so vertical compaction
 * has overlaps to merge.
 *
 * <p>Every sample is a pure function of its series and timestamp ({@link #value}), so a test can check any block
 * the compactor produces against the input without keeping the input.
 */
public final class SampleBlocks {
  /**
   * @param days how far back the first block starts
   * @param blockLength raw block length in ms (2h as Prometheus writes; longer keeps big tests small)
   * @param scrapeInterval ms between samples
   * @param instances node-exporter targets (7 series each)
   * @param overlapEvery every n-th block gets an overlapping duplicate (0: none)
   */
  public record Spec(int days, long blockLength, long scrapeInterval, int instances, Map<String, String> externalLabels,
      int overlapEvery, long seed) {
    /** The demo bucket: 2h blocks from two targets scraped every minute, a re-upload overlap twice a day. */
    public static Spec demo(int days) {
      return new Spec(days, 2 * 3_600_000L, 60_000L, 2, Map.of("cluster", "demo", "replica", "a"), 6, 42);
    }
  }

  private static final String[] MODES = {"idle", "system", "user"};
  private final Spec spec;
  private final List<Labels> series;

  public SampleBlocks(Spec spec) {
    this.spec = spec;
    List<Labels> s = new ArrayList<>();
    for (int i = 0; i < spec.instances(); i++) {
      String inst = "host-" + i + ":9100";
      for (String mode : MODES) {
        s.add(Labels.of("__name__", "node_cpu_seconds_total", "cpu", "0", "instance", inst, "job", "node", "mode", mode));
      }
      s.add(Labels.of("__name__", "node_memory_MemAvailable_bytes", "instance", inst, "job", "node"));
      s.add(Labels.of("__name__", "node_load1", "instance", inst, "job", "node"));
      s.add(Labels.of("__name__", "http_requests_total", "code", "200", "handler", "/api", "instance", inst, "job", "node"));
      s.add(Labels.of("__name__", "up", "instance", inst, "job", "node"));
    }
    s.sort(null);
    this.series = List.copyOf(s);
  }

  /** The series every block holds, in label order. */
  public List<Labels> series() {
    return series;
  }

  /** The first sample time of a block starting at {@code from}: the scrape grid is aligned to the interval. */
  public long firstSampleAtOrAfter(long from) {
    return Math.floorDiv(from + spec.scrapeInterval() - 1, spec.scrapeInterval()) * spec.scrapeInterval();
  }

  /** The value of series {@code s} at {@code t}: counters climb with resets, gauges wander, {@code up} is 1. */
  public double value(Labels s, long t) {
    String name = s.get("__name__");
    long step = t / spec.scrapeInterval();
    int h = s.hashCode();
    switch (name) {
      case "node_cpu_seconds_total": {
        // Counters restart with the host every 9 days (a reboot), each mode at its own rate.
        long sinceBoot = Math.floorMod(t + (h & 0xffffL) * 1000L, 9L * 86_400_000L);
        double rate = 0.05 + (Math.floorMod(h, 90)) / 100.0;
        return Math.floor(sinceBoot / 1000.0 * rate * 100) / 100;
      }
      case "http_requests_total": {
        long sinceDeploy = Math.floorMod(t, 3L * 86_400_000L);
        return (double) (sinceDeploy / spec.scrapeInterval()) * 7 + (step % 5);
      }
      case "node_memory_MemAvailable_bytes":
        return 4.0e9 + 1.0e9 * Math.sin(t / 3_600_000.0 / 24 * 2 * Math.PI) + (Math.floorMod(step * 31 + h, 1000)) * 1e5;
      case "node_load1":
        return Math.round((1.5 + Math.sin(t / 3_600_000.0 / 6) + Math.floorMod(step * 17 + h, 100) / 100.0) * 100) / 100.0;
      default:
        return 1;
    }
  }

  /**
   * Writes the blocks ending before {@code now - blockLength} (the head block is never uploaded) into
   * {@code root/<ULID>/}, each with a Thanos meta.json; returns their metas in time order.
   */
  public List<BlockMeta> write(Path root, long now) throws IOException {
    Random random = new Random(spec.seed());
    long len = spec.blockLength();
    long start = Math.floorDiv(now - spec.days() * 86_400_000L, len) * len;
    List<BlockMeta> out = new ArrayList<>();
    int n = 0;
    for (long t = start; t + len <= now - len; t += len, n++) {
      out.add(writeBlock(root, t, t + len, random));
      if (spec.overlapEvery() > 0 && n % spec.overlapEvery() == spec.overlapEvery() - 1 && t + len + len / 2 <= now - len) {
        out.add(writeBlock(root, t + len / 2, t + len + len / 2, random));
      }
    }
    return out;
  }

  /** Writes one block holding every series over {@code [minTime, maxTime)}. */
  public BlockMeta writeBlock(Path root, long minTime, long maxTime, Random random) throws IOException {
    String ulid = Ulid.generate(maxTime, random).toString();
    Path dir = root.resolve(ulid);
    Files.createDirectories(dir);
    BlockWriter w = new BlockWriter(new FsDirectory(dir));
    try {
      TreeSet<String> symbols = new TreeSet<>(Labels::compareStrings);
      for (Labels l : series) {
        for (int i = 0; i < l.size(); i++) {
          symbols.add(l.name(i));
          symbols.add(l.value(i));
        }
      }
      for (String sym : symbols) {
        w.addSymbol(sym);
      }
      XorEncoder enc = new XorEncoder();
      for (Labels l : series) {
        List<ChunkMeta> chunks = new ArrayList<>();
        enc.reset();
        for (long t = firstSampleAtOrAfter(minTime); t < maxTime; t += spec.scrapeInterval()) {
          enc.append(t, value(l, t));
          if (enc.numSamples() == 120) {
            chunks.add(enc.toChunkMeta());
            enc.reset();
          }
        }
        if (enc.numSamples() > 0) {
          chunks.add(enc.toChunkMeta());
        }
        w.addSeries(l, chunks);
      }
      BlockMeta template = new BlockMeta();
      template.ulid = ulid;
      template.minTime = minTime;
      template.maxTime = maxTime;
      template.compaction.level = 1;
      template.compaction.sources = List.of(ulid);
      BlockMeta.Thanos th = template.thanos();
      th.labels = new TreeMap<>(spec.externalLabels());
      th.source = "sidecar";
      th.resolution = 0;
      BlockMeta meta = w.finish(template);
      // As the sidecar's upload lists them: chunk segments, index, then meta.json itself without a size.
      meta.thanos.files = new ArrayList<>();
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
          String rel = dir.relativize(p).toString().replace('\\', '/');
          if (rel.startsWith("chunks/") || rel.equals("index")) {
            meta.thanos.files.add(new BlockMeta.FileEntry(rel, Files.size(p)));
          }
        }
      }
      meta.thanos.files.add(new BlockMeta.FileEntry(BlockMeta.FILE_NAME, 0));
      Files.write(dir.resolve(BlockMeta.FILE_NAME), meta.toJsonBytes());
      return meta;
    } catch (IOException | RuntimeException e) {
      w.abort();
      throw e;
    }
  }
}
