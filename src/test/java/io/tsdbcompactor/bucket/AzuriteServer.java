package io.tsdbcompactor.bucket;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Azurite's blob service (npm package {@code azurite}, command {@code azurite-blob}) on 127.0.0.1, on a port the
 * kernel picks: it is started with {@code --blobPort 0} and the bound port is read from its startup line. Data
 * lives in memory; telemetry is off.
 */
public final class AzuriteServer implements AutoCloseable {
  /** Azurite's fixed development account and its published key. */
  public static final String ACCOUNT = "devstoreaccount1";
  public static final String KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  private static final Pattern LISTENING = Pattern.compile("listens on (https?://[^\\s]+?):(\\d+)");

  private final Process process;
  private final int port;

  /** The azurite-blob executable on the PATH, or null when Azurite is not installed. */
  public static Path executable() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "azurite-blob");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  public AzuriteServer(Path workDir) throws IOException, InterruptedException {
    Path exe = executable();
    if (exe == null) {
      throw new IllegalStateException("azurite-blob is not installed (npm install -g azurite)");
    }
    List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0",
        "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
        "--loose"));
    // In memory, so nothing but its small config file lands in the working directory.
    process = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
    CompletableFuture<Integer> bound = new CompletableFuture<>();
    StringBuilder output = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (output) {
            if (output.length() < 8192) {
              output.append(line).append('\n');
            }
          }
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            bound.complete(Integer.parseInt(m.group(2)));
          }
        }
      } catch (IOException e) {
        bound.completeExceptionally(e);
      }
      bound.completeExceptionally(new IOException("azurite exited before listening"));
    }, "azurite-output");
    reader.setDaemon(true);
    reader.start();
    try {
      port = bound.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      synchronized (output) {
        throw new IOException("azurite did not start: " + output, e);
      }
    }
  }

  public int port() {
    return port;
  }

  /** The account's blob endpoint, as {@code endpoint:} of an AZURE objstore config takes it. */
  public String accountUrl() {
    return "http://127.0.0.1:" + port + "/" + ACCOUNT;
  }

  public String connectionString() {
    return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
        + accountUrl() + ";";
  }

  /** An AZURE objstore YAML for a container of this server, authenticated with the shared key. */
  public String yaml(String container) {
    return "type: AZURE\nconfig:\n  storage_account: " + ACCOUNT + "\n  storage_account_key: " + KEY
        + "\n  container: " + container + "\n  endpoint: " + accountUrl() + "\n";
  }

  public AzureConfig config(String container) {
    AzureConfig c = new AzureConfig();
    c.storageAccount = ACCOUNT;
    c.storageAccountKey = KEY;
    c.container = container;
    c.endpoint = accountUrl();
    c.pipelineMaxTries = 2;
    c.retryDelay = java.time.Duration.ofMillis(20);
    c.maxRetryDelay = java.time.Duration.ofMillis(100);
    return c;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
