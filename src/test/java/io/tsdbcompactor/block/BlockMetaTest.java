package io.tsdbcompactor.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsdbcompactor.store.CorruptDataException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BlockMetaTest {

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void promtoolMetaRoundTripsByteForByte() throws Exception {
    List<Path> metas;
    try (Stream<Path> s = Files.walk(Path.of("testdata/blocks"))) {
      metas = s.filter(p -> p.getFileName().toString().equals("meta.json")).collect(Collectors.toList());
    }
    assertTrue(metas.size() >= 9, "testdata has promtool blocks");
    for (Path p : metas) {
      byte[] original = Files.readAllBytes(p);
      BlockMeta m = BlockMeta.parse(p.toString(), original);
      assertEquals(utf8(original), utf8(m.toJsonBytes()), p.toString());
    }
  }

  /** Sources are held as bits where they are ULIDs; any other spelling is kept, so the file round-trips. */
  @Test
  void sourcesOfEverySpellingRoundTripByteForByte() throws Exception {
    String json = "{\n\t\"ulid\": \"01BX5ZZKBKACTAV9WEVGEMMVRZ\",\n\t\"minTime\": 0,\n\t\"maxTime\": 7200000,\n"
        + "\t\"stats\": {},\n\t\"compaction\": {\n\t\t\"level\": 2,\n\t\t\"sources\": [\n"
        + "\t\t\t\"01ARZ3NDEKTSV4RRFFQ69G5FAV\",\n\t\t\t\"01arz3ndektsv4rrffq69g5fav\",\n"
        + "\t\t\t\"not-a-ulid\",\n\t\t\t\"00000000000000000000000000\",\n\t\t\t\"7ZZZZZZZZZZZZZZZZZZZZZZZZZ\"\n"
        + "\t\t]\n\t},\n\t\"version\": 1\n}";
    BlockMeta m = BlockMeta.parse("meta.json", json.getBytes(StandardCharsets.UTF_8));
    assertTrue(m.compaction.sources instanceof SourceList);
    assertEquals(List.of("01ARZ3NDEKTSV4RRFFQ69G5FAV", "01arz3ndektsv4rrffq69g5fav", "not-a-ulid",
        "00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), m.compaction.sources);
    assertEquals(json, utf8(m.toJsonBytes()));
  }

  @Test
  void emptyThanosMetaMatchesGoGolden() {
    BlockMeta m = new BlockMeta();
    m.version = 0;
    m.thanos = new BlockMeta.Thanos();
    String expected = "{\n"
        + "\t\"ulid\": \"00000000000000000000000000\",\n"
        + "\t\"minTime\": 0,\n"
        + "\t\"maxTime\": 0,\n"
        + "\t\"stats\": {},\n"
        + "\t\"compaction\": {\n"
        + "\t\t\"level\": 0\n"
        + "\t},\n"
        + "\t\"version\": 0,\n"
        + "\t\"thanos\": {\n"
        + "\t\t\"labels\": null,\n"
        + "\t\t\"downsample\": {\n"
        + "\t\t\t\"resolution\": 0\n"
        + "\t\t},\n"
        + "\t\t\"source\": \"\",\n"
        + "\t\t\"index_stats\": {},\n"
        + "\t\t\"upload_time\": \"0001-01-01T00:00:00Z\"\n"
        + "\t}\n"
        + "}\n";
    assertEquals(expected, utf8(m.toJsonBytes()));
  }

  @Test
  void thanosSectionAndUnknownFieldsSurviveRoundTrip() throws Exception {
    String json = "{\n"
        + "\t\"ulid\": \"01M88N6J4ZSJQ3KKRCCCS4DVXH\",\n"
        + "\t\"minTime\": 1,\n"
        + "\t\"maxTime\": 7200001,\n"
        + "\t\"stats\": {\n\t\t\"numSamples\": 5,\n\t\t\"numSeries\": 1,\n\t\t\"numChunks\": 1,\n\t\t\"futureStat\": 3\n\t},\n"
        + "\t\"compaction\": {\n\t\t\"level\": 2,\n\t\t\"sources\": [\n\t\t\t\"01M88N6J4ZSJQ3KKRCCCS4DVXH\"\n\t\t],\n"
        + "\t\t\"parents\": [\n\t\t\t{\n\t\t\t\t\"ulid\": \"01M88N6J4ZSJQ3KKRCCCS4DVXH\",\n\t\t\t\t\"minTime\": 1,\n\t\t\t\t\"maxTime\": 2\n\t\t\t}\n\t\t]\n\t},\n"
        + "\t\"version\": 1,\n"
        + "\t\"thanos\": {\n"
        + "\t\t\"labels\": {\n\t\t\t\"cluster\": \"a<b>&c\",\n\t\t\t\"replica\": \"r1\"\n\t\t},\n"
        + "\t\t\"downsample\": {\n\t\t\t\"resolution\": 300000\n\t\t},\n"
        + "\t\t\"source\": \"compactor\",\n"
        + "\t\t\"segment_files\": [\n\t\t\t\"000001\"\n\t\t],\n"
        + "\t\t\"files\": [\n\t\t\t{\n\t\t\t\t\"rel_path\": \"chunks/000001\",\n\t\t\t\t\"size_bytes\": 10\n\t\t\t},\n"
        + "\t\t\t{\n\t\t\t\t\"rel_path\": \"meta.json\"\n\t\t\t}\n\t\t],\n"
        + "\t\t\"index_stats\": {\n\t\t\t\"series_max_size\": 64,\n\t\t\t\"chunk_max_size\": 120\n\t\t},\n"
        + "\t\t\"upload_time\": \"2026-08-22T10:11:12.1234567Z\",\n"
        + "\t\t\"shiny_new_key\": [\n\t\t\t1.50,\n\t\t\t{}\n\t\t]\n"
        + "\t},\n"
        + "\t\"extra_top\": true\n"
        + "}\n";
    json = json.replace("a<b>&c", "a\\u003cb\\u003e\\u0026c");
    BlockMeta m = BlockMeta.parse("t/meta.json", json.getBytes(StandardCharsets.UTF_8));
    assertEquals("a<b>&c", m.thanos.labels.get("cluster"));
    assertEquals(300000, m.resolution());
    assertEquals(Map.of("cluster", "a<b>&c", "replica", "r1"), m.thanos.labels);
    assertEquals(json, utf8(m.toJsonBytes()));
  }

  @Test
  void rejectsBadVersionAndGarbage() {
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> BlockMeta.parse("X/meta.json",
        "{\"ulid\":\"01M88N6J4ZSJQ3KKRCCCS4DVXH\",\"minTime\":0,\"maxTime\":1,\"version\":2}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("X/meta.json") && e.getMessage().contains("version"), e.getMessage());
    assertThrows(CorruptDataException.class, () -> BlockMeta.parse("X/meta.json", "{\"ulid\":".getBytes(StandardCharsets.UTF_8)));
    assertThrows(CorruptDataException.class, () -> BlockMeta.parse("X/meta.json",
        "{\"ulid\":\"nope\",\"minTime\":0,\"maxTime\":1,\"version\":1}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void ulidRoundTripsAndSorts() {
    Random r = new Random(7);
    Ulid prev = null;
    for (int i = 0; i < 1000; i++) {
      Ulid u = Ulid.generate(1_700_000_000_000L + i * 1000L, r);
      assertEquals(u, Ulid.parse(u.toString()));
      assertEquals(1_700_000_000_000L + i * 1000L, u.timestamp());
      if (prev != null) {
        assertTrue(prev.compareTo(u) < 0 && prev.toString().compareTo(u.toString()) < 0);
      }
      prev = u;
    }
    assertEquals(Ulid.parse("01M88N6J4ZSJQ3KKRCCCS4DVXH").toString(), "01M88N6J4ZSJQ3KKRCCCS4DVXH");
    assertTrue(!Ulid.isValid("81M88N6J4ZSJQ3KKRCCCS4DVXH"));
    assertTrue(!Ulid.isValid("01M88N6J4ZSJQ3KKRCCCS4DVX"));
  }
}
