package io.tsdbcompactor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ObjstoreConfig;
import io.tsdbcompactor.cli.RunPlanSource;
import io.tsdbcompactor.compact.Group;
import io.tsdbcompactor.job.Sharding;
import io.tsdbcompactor.labels.Labels;
import io.tsdbcompactor.retention.RetentionPolicy;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The viewer page in a real headless Chromium (Debian's chromium and chromedriver, no driver download): every
 * block of a known bucket drawn in its lane and to scale, details on click, marking from the page, and a
 * 10,000-block export whose render times are measured (reported, not asserted). Screenshots go to target/.
 */
class BlockViewerBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static ChromeDriver driver;

  @TempDir
  Path dir;
  Bucket bucket;
  ViewerBucket known;
  BlockViewer viewer;
  WebServer server;

  @BeforeAll
  static void browser() {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver packages");
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1600,1000", "--force-device-scale-factor=1");
    driver = new ChromeDriver(o);
  }

  @AfterAll
  static void quit() {
    if (driver != null) {
      driver.quit();
    }
  }

  @BeforeEach
  void serve() throws Exception {
    bucket = ObjstoreConfig.filesystem(dir.resolve("bucket")).open();
    known = ViewerBucket.write(bucket);
    BlockViewer.Settings settings = new BlockViewer.Settings("cluster", List.of("replica"), Duration.ZERO,
        Duration.ZERO, 8, null, false);
    RunPlanSource plan = new RunPlanSource(4, List.of("replica"),
        new RetentionPolicy(Duration.ofDays(4), Duration.ZERO, Duration.ZERO), true, Sharding.NONE);
    viewer = new BlockViewer(bucket, settings, plan, ViewerBucket.CLOCK);
    viewer.refresh(Duration.ofMinutes(1));
    server = WebServer.start("127.0.0.1:0", WebConfig.NONE);
    BlocksApi.mount(server, viewer, BlocksApi.Options.DEFAULTS);
    driver.get("http://127.0.0.1:" + server.port() + "/blocks");
    awaitLoaded();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    viewer.close();
    bucket.close();
  }

  static void awaitLoaded() {
    new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> Boolean.TRUE.equals(
        ((JavascriptExecutor) d).executeScript("return !!(window.viewer && window.viewer.loaded())")));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> script(String js) {
    return (List<Map<String, Object>>) driver.executeScript(js);
  }

  static double num(Map<String, Object> m, String k) {
    return ((Number) m.get(k)).doubleValue();
  }

  static String laneOf(BlockMeta m) {
    return Group.key(m.externalLabels().without("replica"), m.resolution());
  }

  @Test
  void everyBlockIsDrawnInItsLaneToScale() {
    Map<String, Map<String, Object>> lanes = new HashMap<>();
    script("return viewer.lanes()").forEach(l -> lanes.put((String) l.get("key"), l));
    Map<String, Map<String, Object>> drawn = new HashMap<>();
    script("return viewer.drawn()").forEach(d -> drawn.put((String) d.get("ulid"), d));
    Set<String> expected = new HashSet<>();
    known.metas.forEach(m -> expected.add(m.ulid));
    assertEquals(expected, drawn.keySet());
    double pxPerMs = 0;
    for (BlockMeta m : known.metas) {
      Map<String, Object> d = drawn.get(m.ulid);
      assertEquals(laneOf(m), d.get("lane"), m.ulid);
      Map<String, Object> lane = lanes.get(laneOf(m));
      assertTrue(num(d, "y") >= num(lane, "y") && num(d, "y") + num(d, "h") <= num(lane, "y") + num(lane, "h"),
          "block " + m.ulid + " inside its lane's band");
      // to scale: width (plus the 1px separator) is proportional to the block's duration
      double scale = (num(d, "w") + 1) / (m.maxTime - m.minTime);
      if (pxPerMs == 0) {
        pxPerMs = scale;
      }
      assertEquals(pxPerMs * (m.maxTime - m.minTime), num(d, "w") + 1, 1.5, m.ulid);
    }
    // 4 lanes: eu1 raw/5m/1h and us1 raw (the replica label removed, as the compactor groups)
    assertEquals(4, lanes.size());
  }

  /** Clicks the centre of a drawn block. */
  static void click(String ulid) {
    Map<String, Object> d = script("return viewer.drawn()").stream().filter(x -> ulid.equals(x.get("ulid")))
        .findFirst().orElseThrow();
    WebElement canvas = driver.findElement(By.id("tl"));
    int dx = (int) Math.round(num(d, "x") + num(d, "w") / 2 - canvas.getSize().getWidth() / 2.0);
    int dy = (int) Math.round(num(d, "y") + num(d, "h") / 2 - canvas.getSize().getHeight() / 2.0);
    new Actions(driver).moveToElement(canvas, dx, dy).click().perform();
    new WebDriverWait(driver, Duration.ofSeconds(10)).ignoring(StaleElementReferenceException.class)
        .until(x -> x.findElements(By.id("d-ulid")).stream()
        .anyMatch(e -> e.getText().equals(ulid)));
  }

  static String field(String name) {
    return driver.findElement(By.cssSelector("[data-field='" + name + "']")).getText();
  }

  @Test
  void clickingABlockShowsItsDetails() throws Exception {
    BlockMeta m = known.metas.stream().filter(x -> x.ulid.equals(known.noCompactMarked)).findFirst().orElseThrow();
    long base = ViewerBucket.BASE.toEpochMilli();
    driver.executeScript("viewer.setRange(" + (base - 2 * ViewerBucket.H) + ", " + (base + 26 * ViewerBucket.H) + ")");
    click(m.ulid);
    assertEquals(m.ulid, driver.findElement(By.id("d-ulid")).getText());
    assertTrue(field("time range").contains("2026-01-05 04:00:00 UTC"), field("time range"));
    assertTrue(field("time range").contains("2026-01-05 06:00:00 UTC"), field("time range"));
    assertEquals(Long.toString(m.stats.numSeries), field("series"));
    assertEquals(Long.toString(m.stats.numSamples), field("samples"));
    assertEquals(Long.toString(m.stats.numChunks), field("chunks"));
    assertEquals("1", field("level"));
    assertEquals("raw", field("resolution"));
    assertTrue(field("sources").contains(m.ulid));
    String marks = field("marks");
    assertTrue(marks.contains("no-compact") && marks.contains("manual") && marks.contains("keeps failing")
        && marks.contains("2026-01-08 00:00:00 UTC"), marks);
    Files.createDirectories(Path.of("target"));
    Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), Path.of("target/block-viewer.png"),
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void filtersNarrowTheLanesAndAUlidOpensItsBlock() {
    WebElement filter = driver.findElement(By.id("filter"));
    filter.sendKeys("cluster=\"us1\"");
    Set<String> lanes = new HashSet<>();
    script("return viewer.lanes()").forEach(l -> lanes.add((String) l.get("key")));
    BlockMeta us = known.metas.stream().filter(m -> "us1".equals(m.externalLabels().get("cluster"))).findFirst()
        .orElseThrow();
    assertEquals(Set.of(laneOf(us)), lanes);
    driver.executeScript("var f = document.getElementById('filter'); f.value = '';"
        + " f.dispatchEvent(new Event('input'));");
    driver.findElement(By.cssSelector(".res[value='0']")).click(); // hide raw
    script("return viewer.lanes()").forEach(l -> assertTrue(!((String) l.get("key")).startsWith("0@"), l.toString()));
    assertEquals(2, script("return viewer.lanes()").size(), "eu1 5m and 1h");
    driver.findElement(By.cssSelector(".res[value='0']")).click();
    filter.sendKeys(known.noDownsampleMarked);
    new WebDriverWait(driver, Duration.ofSeconds(10)).ignoring(StaleElementReferenceException.class)
        .until(d -> d.findElements(By.id("d-ulid")).stream().anyMatch(e -> e.getText().equals(known.noDownsampleMarked)));
    assertTrue(field("marks").contains("not worth it"), field("marks"));
  }

  @Test
  void markingFromThePageWritesTheMarker() throws Exception {
    String id = known.metas.get(0).ulid;
    click(id);
    driver.findElement(By.id("markDetail")).sendKeys("shadowed by a backfill");
    driver.findElement(By.id("markDeletion")).click();
    // The details panel is redrawn when the mark lands, so an element found a moment ago may be gone.
    new WebDriverWait(driver, Duration.ofSeconds(30)).ignoring(StaleElementReferenceException.class)
        .until(d -> "marked".equals(d.findElement(By.id("markResult")).getText()));
    Marker.DeletionMark mark = Markers.readDeletionMark(bucket, id).orElseThrow();
    assertEquals("shadowed by a backfill", mark.details());
    assertEquals(ViewerBucket.CLOCK.instant().getEpochSecond(), mark.deletionTime());
    assertTrue(field("marks").contains("shadowed by a backfill"), "the page shows the new mark");
  }

  @Test
  void tenThousandBlocksRenderOnlyWhatIsOnScreen() throws Exception {
    List<BlockMeta> metas = syntheticBlocks(10_000);
    BlockViewer.Settings settings = new BlockViewer.Settings("cluster", List.of(), Duration.ZERO, Duration.ZERO, 1,
        null, false);
    long now = ViewerBucket.CLOCK.millis();
    ViewPlan plan = new RunPlanSource(4, List.of(), new RetentionPolicy(Duration.ofDays(30), Duration.ofDays(120),
        Duration.ZERO), true, Sharding.NONE).plan(metas, Set.of(), Set.of(), now);
    Map<String, Map<String, Marker>> marks = new TreeMap<>();
    for (int i = 0; i < metas.size(); i += 97) {
      String id = metas.get(i).ulid;
      marks.put(id, Map.of(Marker.NO_COMPACT_MARK, new Marker.NoCompactMark(id, "synthetic", now / 1000, "manual")));
    }
    String html = ViewerPage.export(new BlockViewer.Snapshot(metas, marks, plan, ViewerBucket.CLOCK.instant(), null,
        now), settings);
    Path file = Path.of("target/block-viewer-10k.html").toAbsolutePath();
    Files.createDirectories(file.getParent());
    Files.writeString(file, html, StandardCharsets.UTF_8);
    driver.get(file.toUri().toString());
    awaitLoaded();
    double first = ((Number) driver.executeScript("return viewer.lastRenderMs()")).doubleValue();
    long drawnAll = (Long) driver.executeScript("return viewer.drawn().length");
    double fit = ((Number) driver.executeScript(
        "var s = 0; for (var i = 0; i < 20; i++) s += viewer.fit(); return s / 20;")).doubleValue();
    long day = 86_400_000L;
    double zoomed = ((Number) driver.executeScript("var s = 0; for (var i = 0; i < 20; i++) s += viewer.setRange("
        + (now - 3 * day) + " + i * 600000, " + (now - 2 * day) + " + i * 600000); return s / 20;")).doubleValue();
    long drawnDay = (Long) driver.executeScript("return viewer.drawn().length");
    Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), Path.of("target/block-viewer-10k.png"),
        StandardCopyOption.REPLACE_EXISTING);
    String report = String.format("10000 blocks, %d KiB page: first render %.1f ms; whole range %.1f ms (%d blocks "
        + "on screen); one day %.1f ms (%d blocks on screen)%n", html.length() / 1024, first, fit, drawnAll, zoomed,
        drawnDay);
    System.out.print("block viewer render: " + report);
    Files.writeString(Path.of("target/block-viewer-render.txt"), report);
    assertTrue(drawnAll > 0 && drawnDay > 0 && drawnDay < drawnAll, report);
  }

  /** {@code n} blocks over 25 clusters: raw 2h and 8h blocks back from now, 2d 5m blocks and 14d 1h blocks. */
  static List<BlockMeta> syntheticBlocks(int n) {
    Random random = new Random(11);
    List<BlockMeta> out = new ArrayList<>();
    long now = ViewerBucket.CLOCK.millis();
    long h = ViewerBucket.H;
    int clusters = 25;
    int perCluster = n / clusters;
    for (int c = 0; c < clusters; c++) {
      Labels labels = Labels.fromMap(Map.of("cluster", "c" + c, "region", c % 2 == 0 ? "eu" : "us"));
      long rawCursor = now;
      long fiveCursor = now - 2 * 24 * h;
      long hourCursor = now - 14 * 24 * h;
      for (int i = 0; i < perCluster; i++) {
        long res;
        long len;
        long end;
        int level;
        if (i < perCluster * 6 / 10) { // raw: a day of 2h blocks, 8h blocks before
          res = 0;
          level = i < 12 ? 1 : 2;
          len = level == 1 ? 2 * h : 8 * h;
          end = rawCursor;
          rawCursor -= len;
        } else if (i < perCluster * 9 / 10) {
          res = 300_000;
          level = 3;
          len = 48 * h;
          end = fiveCursor;
          fiveCursor -= len;
        } else {
          res = 3_600_000;
          level = 4;
          len = 14 * 24 * h;
          end = hourCursor;
          hourCursor -= len;
        }
        BlockMeta m = new BlockMeta();
        m.ulid = Ulid.generate(end, random).toString();
        m.minTime = end - len;
        m.maxTime = end;
        m.stats.numSeries = 1000;
        m.stats.numSamples = len / 15_000 * 1000;
        m.stats.numChunks = 8000;
        m.compaction.level = level;
        m.compaction.sources = new ArrayList<>(List.of(m.ulid));
        m.thanos().labels = new TreeMap<>(labels.toMap());
        m.thanos().resolution = res;
        m.thanos().source = "compactor";
        m.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("index", 1 << 20)));
        out.add(m);
      }
    }
    return out;
  }
}
