package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.Chunk;
import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.SampleIterator;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.store.CorruptDataException;
import io.tsdbcompactor.store.FsDirectory;
import io.tsdbcompactor.tombstones.Interval;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints the samples of one or more blocks exactly as Prometheus 2.42's {@code promtool tsdb dump} does: one
 * line {@code {labels} VALUE TIMESTAMP} per sample, series in label order, labels as
 * {@code labels.Labels.String()} and the value as Go's {@code %g} ({@link GoFormat}).
 *
 * <p>promtool reads through a TSDB querier, and this class reproduces what that querier does, including
 * where it is arbitrary:
 * <ul>
 *   <li>Blocks are listed by directory name and ordered by minTime with Go's unstable sort ({@link GoSort}),
 *       and only blocks overlapping the closed range [minT, maxT] take part.
 *   <li>Per block, series with no chunk left after dropping chunks outside [minT, maxT] or entirely deleted
 *       are skipped. If a kept chunk reaches outside the range, samples outside it are cut ("trimmed") by
 *       adding deletion intervals, as tombstones are.
 *   <li>Series with equal labels in several blocks are merged with Prometheus's chain merge: a heap of
 *       iterators keyed by timestamp, and of several samples with the same timestamp only the first one the
 *       heap yields is printed. Which one that is depends on Go's {@code container/heap} algorithm, so the
 *       heaps here ({@link GoHeap}) reproduce it operation by operation. Series found in one block only are
 *       printed as stored, without any de-duplication.
 *   <li>A series' samples stop at its first histogram sample (2.42 prints floats only).
 * </ul>
 * Output goes through a 1 MiB buffer; memory holds one series per block at a time.
 */
public final class BlockDumper {
  private static final int NONE = 0;
  private static final int FLOAT = 1;
  private static final int HISTOGRAM = 2;

  private final Map<Integer, ChunkSampleDecoder> decoders = new HashMap<>();

  /** Registers a decoder for chunks of an encoding other than XOR (e.g. 0xFF AggrChunk). */
  public BlockDumper withDecoder(int encoding, ChunkSampleDecoder decoder) {
    decoders.put(encoding, decoder);
    return this;
  }

  /**
   * The block directories under {@code dir}: {@code dir} itself if it holds a meta.json, otherwise its
   * sub-directories whose names are ULIDs, in name order.
   */
  public static List<Path> blockDirs(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (Files.isRegularFile(dir.resolve(BlockMeta.FILE_NAME))) {
      out.add(dir);
      return out;
    }
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(dir.toString(), null, "not a directory");
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isDirectory(p) && Ulid.isValid(p.getFileName().toString())) {
          out.add(p);
        }
      }
    }
    out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    return out;
  }

  /** Dumps a block directory or a directory of blocks, as {@code promtool tsdb dump} does. */
  public void dump(Path dir, long minT, long maxT, OutputStream out) throws IOException {
    List<BlockReader> readers = new ArrayList<>();
    try {
      for (Path p : blockDirs(dir)) {
        readers.add(BlockReader.open(new FsDirectory(p)));
      }
      dump(readers, minT, maxT, out);
    } finally {
      for (BlockReader r : readers) {
        r.close();
      }
    }
  }

  /**
   * Dumps open blocks (in any order: they are ordered as promtool orders them, by directory name and then by
   * minTime with Go's sort).
   */
  public void dump(List<BlockReader> blocks, long minT, long maxT, OutputStream out) throws IOException {
    // promtool lists block directories by name, then sorts them by minTime with Go's unstable sort.Slice.
    List<BlockReader> ordered = new ArrayList<>(blocks);
    ordered.sort((a, b) -> dirName(a).compareTo(dirName(b)));
    GoSort.slice(ordered, (a, b) -> Long.compare(a.meta().minTime, b.meta().minTime));
    List<BlockSet> sets = new ArrayList<>();
    for (BlockReader b : ordered) {
      if (b.meta().minTime <= maxT && minT < b.meta().maxTime) {
        sets.add(new BlockSet(b, minT, maxT));
      }
    }
    Output o = new Output(out);
    GoHeap<BlockSet> heap = new GoHeap<>((x, y) -> x.labels.compareTo(y.labels) < 0);
    for (BlockSet s : sets) {
      if (s.next()) {
        heap.push(s);
      }
    }
    List<BlockSet> current = new ArrayList<>();
    StringBuilder sb = new StringBuilder(64);
    while (true) {
      for (BlockSet s : current) {
        if (s.next()) {
          heap.push(s);
        }
      }
      if (heap.size() == 0) {
        break;
      }
      current.clear();
      Labels labels = heap.peek().labels;
      while (heap.size() > 0 && heap.peek().labels.equals(labels)) {
        current.add(heap.pop());
      }
      sb.setLength(0);
      GoFormat.appendLabels(sb, labels);
      sb.append(' ');
      byte[] prefix = sb.toString().getBytes(StandardCharsets.UTF_8);
      if (current.size() == 1) {
        DelIterator it = current.get(0).iterator();
        while (it.next() == FLOAT) {
          o.line(prefix, it.value(), it.timestamp(), sb);
        }
      } else {
        DelIterator[] its = new DelIterator[current.size()];
        for (int i = 0; i < its.length; i++) {
          its[i] = current.get(i).iterator();
        }
        ChainIterator it = new ChainIterator(its);
        while (it.next() == FLOAT) {
          o.line(prefix, it.curr.value(), it.curr.timestamp(), sb);
        }
      }
    }
    o.flush();
  }

  private static String dirName(BlockReader r) {
    String n = r.name();
    return n.substring(n.lastIndexOf('/') + 1);
  }

  /** One block's series for the query range (Prometheus's blockBaseSeriesSet). */
  private final class BlockSet {
    final BlockReader block;
    final BlockReader.Series series;
    final long minT;
    final long maxT;
    Labels labels;
    List<ChunkMeta> chunks;
    long[] intervals;

    BlockSet(BlockReader block, long minT, long maxT) {
      this.block = block;
      this.series = block.series();
      this.minT = minT;
      this.maxT = maxT;
    }

    boolean next() throws CorruptDataException {
      while (series.next()) {
        List<ChunkMeta> all = series.chunkMetas();
        if (all.isEmpty()) {
          continue;
        }
        List<Interval> deleted = series.deleted();
        boolean trimFront = false;
        boolean trimBack = false;
        List<ChunkMeta> kept = new ArrayList<>(all.size());
        for (ChunkMeta c : all) {
          if (c.maxTime < minT || c.minTime > maxT) {
            continue;
          }
          if (BlockReader.isSubrange(c.minTime, c.maxTime, deleted)) {
            continue;
          }
          kept.add(c);
          if (c.minTime < minT) {
            trimFront = true;
          }
          if (c.maxTime > maxT) {
            trimBack = true;
          }
        }
        if (kept.isEmpty()) {
          continue;
        }
        long[] iv = new long[deleted.size() * 2];
        for (int i = 0; i < deleted.size(); i++) {
          iv[2 * i] = deleted.get(i).minT();
          iv[2 * i + 1] = deleted.get(i).maxT();
        }
        if (trimFront) {
          iv = Intervals.add(iv, Long.MIN_VALUE, minT - 1);
        }
        if (trimBack) {
          iv = Intervals.add(iv, maxT + 1, Long.MAX_VALUE);
        }
        labels = series.labels();
        chunks = kept;
        intervals = iv;
        return true;
      }
      labels = null;
      return false;
    }

    DelIterator iterator() {
      return new DelIterator(block, chunks, intervals);
    }
  }

  /**
   * The samples of one block's series: its chunks one after the other, skipping deleted samples (Prometheus's
   * populateWithDelSeriesIterator with its DeletedIterator, whose interval list is consumed as time passes).
   */
  private final class DelIterator {
    final BlockReader block;
    final List<ChunkMeta> chunks;
    final long[] intervals;
    int chunkIndex = -1;
    SampleIterator it;
    final XorIterator xor = new XorIterator();
    long[] del = new long[0];
    int delPos;
    boolean histogram;
    long histogramT;

    DelIterator(BlockReader block, List<ChunkMeta> chunks, long[] intervals) {
      this.block = block;
      this.chunks = chunks;
      this.intervals = intervals;
    }

    long timestamp() {
      return histogram ? histogramT : it.timestamp();
    }

    double value() {
      return it.value();
    }

    int next() throws CorruptDataException {
      if (it != null || histogram) {
        int vt = nextInChunk();
        if (vt != NONE) {
          return vt;
        }
      }
      while (nextChunk()) {
        int vt = nextInChunk();
        if (vt != NONE) {
          return vt;
        }
      }
      return NONE;
    }

    private int nextInChunk() throws CorruptDataException {
      if (histogram) {
        // Not decoded: the dump stops at a histogram sample anyway; report one at the chunk's start.
        return HISTOGRAM;
      }
      outer:
      while (it.next()) {
        long t = it.timestamp();
        while (delPos < del.length) {
          if (t >= del[delPos] && t <= del[delPos + 1]) {
            continue outer;
          }
          if (t <= del[delPos + 1]) {
            return FLOAT;
          }
          delPos += 2;
        }
        return FLOAT;
      }
      return NONE;
    }

    private boolean nextChunk() throws CorruptDataException {
      if (chunkIndex >= chunks.size() - 1) {
        return false;
      }
      chunkIndex++;
      ChunkMeta m = chunks.get(chunkIndex);
      Chunk c = block.readChunk(m.ref);
      long[] d = new long[0];
      for (int i = 0; i < intervals.length; i += 2) {
        if (m.minTime <= intervals[i + 1] && intervals[i] <= m.maxTime) {
          d = Intervals.add(d, intervals[i], intervals[i + 1]);
        }
      }
      del = d;
      delPos = 0;
      histogram = false;
      String name = block.name() + "/" + ChunkRef.toString(m.ref);
      switch (c.encoding()) {
        case ChunkEncoding.XOR:
          xor.reset(name, c.data());
          it = xor;
          break;
        case ChunkEncoding.HISTOGRAM:
        case ChunkEncoding.FLOAT_HISTOGRAM:
          histogram = true;
          histogramT = m.minTime;
          it = null;
          break;
        default:
          ChunkSampleDecoder dec = decoders.get(c.encoding());
          if (dec == null) {
            throw new CorruptDataException(name, 0, "cannot dump a chunk of encoding "
                + ChunkEncoding.name(c.encoding()) + " (no decoder registered for it)");
          }
          it = dec.decode(name, c);
      }
      return true;
    }
  }

  /** Prometheus's chainSampleIterator, step for step (see the class comment for why). */
  private static final class ChainIterator {
    final DelIterator[] iterators;
    final GoHeap<DelIterator> heap = new GoHeap<>((a, b) -> a.timestamp() < b.timestamp());
    boolean started;
    DelIterator curr;
    long lastT = Long.MIN_VALUE;

    ChainIterator(DelIterator[] iterators) {
      this.iterators = iterators;
    }

    int next() throws CorruptDataException {
      if (!started) {
        started = true;
        curr = iterators[0];
        for (int i = 1; i < iterators.length; i++) {
          if (iterators[i].next() != NONE) {
            heap.push(iterators[i]);
          }
        }
      }
      if (curr == null) {
        return NONE;
      }
      long currT;
      int vt;
      while (true) {
        vt = curr.next();
        if (vt != NONE) {
          currT = curr.timestamp();
          if (currT == lastT) {
            continue;
          }
          if (heap.size() == 0) {
            break;
          }
          if (currT < heap.peek().timestamp()) {
            break;
          }
          heap.push(curr);
        } else if (heap.size() == 0) {
          curr = null;
          return NONE;
        }
        curr = heap.pop();
        currT = curr.timestamp();
        // Prometheus seeks the popped iterator to its own position here, which does not move it.
        vt = curr.histogram ? HISTOGRAM : FLOAT;
        if (currT != lastT) {
          break;
        }
      }
      lastT = currT;
      return vt;
    }
  }

  /** The output buffer: lines are assembled as bytes, 1 MiB at a time. */
  private static final class Output {
    private final OutputStream out;
    private final byte[] buf = new byte[1 << 20];
    private int pos;

    Output(OutputStream out) {
      this.out = out;
    }

    void line(byte[] prefix, double v, long t, StringBuilder scratch) throws IOException {
      scratch.setLength(0);
      GoFormat.appendFloat(scratch, v);
      int need = prefix.length + scratch.length() + 22;
      if (buf.length - pos < need) {
        flushBuffer();
        if (need > buf.length) {
          out.write(prefix);
          out.write((scratch + " " + t + "\n").getBytes(StandardCharsets.US_ASCII));
          return;
        }
      }
      System.arraycopy(prefix, 0, buf, pos, prefix.length);
      pos += prefix.length;
      for (int i = 0; i < scratch.length(); i++) {
        buf[pos++] = (byte) scratch.charAt(i);
      }
      buf[pos++] = ' ';
      writeLong(t);
      buf[pos++] = '\n';
    }

    private void writeLong(long v) {
      if (v == Long.MIN_VALUE) {
        byte[] s = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, buf, pos, s.length);
        pos += s.length;
        return;
      }
      if (v < 0) {
        buf[pos++] = '-';
        v = -v;
      }
      int start = pos;
      do {
        buf[pos++] = (byte) ('0' + (v % 10));
        v /= 10;
      } while (v != 0);
      for (int i = start, j = pos - 1; i < j; i++, j--) {
        byte tmp = buf[i];
        buf[i] = buf[j];
        buf[j] = tmp;
      }
    }

    private void flushBuffer() throws IOException {
      out.write(buf, 0, pos);
      pos = 0;
    }

    void flush() throws IOException {
      flushBuffer();
      out.flush();
    }
  }
}
