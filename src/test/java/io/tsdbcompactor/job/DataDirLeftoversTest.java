package io.tsdbcompactor.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a killed run left in the data directory is removed; the meta cache and anything else stay. */
class DataDirLeftoversTest {
  @Test
  void workDirectoriesAndTemporaryCacheFilesGoTheCacheStays(@TempDir Path data) throws Exception {
    String u = "01JCZ7N1T3M4Q2W8C9XR0A1B2C";
    Path half = data.resolve("compact/0@123/" + u + "/chunks/000001.download");
    Path out = data.resolve("downsample/out/" + u + "/index.tmp");
    Path cached = data.resolve("meta-syncer/" + u + "/meta.json");
    Path cacheTmp = data.resolve("meta-syncer/" + u + "/meta.json.tmp");
    Path demo = data.resolve("demo-bucket/" + u + "/meta.json");
    for (Path p : new Path[] {half, out, cached, cacheTmp, demo}) {
      Files.createDirectories(p.getParent());
      Files.writeString(p, "x");
    }
    assertEquals(3, DataDirLeftovers.clean(data));
    assertFalse(Files.exists(data.resolve("compact")));
    assertFalse(Files.exists(data.resolve("downsample")));
    assertFalse(Files.exists(cacheTmp));
    assertTrue(Files.exists(cached));
    assertTrue(Files.exists(demo));
    assertEquals(0, DataDirLeftovers.clean(data));
  }
}
