package io.tsdbcompactor.bucket;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 server that fails a share of the requests in the four ways S3 and
 * MinIO fail under load, drawn from a seeded random sequence:
 *
 * <ul>
 *   <li>{@link Fault#SLOW_DOWN}: {@code 503 SlowDown} before the request reaches the server;
 *   <li>{@link Fault#INTERNAL_ERROR}: the server did the work, the client gets {@code 500 InternalError}
 *       (an ambiguous success);
 *   <li>{@link Fault#CUT}: the server's response with its full {@code Content-Length}, cut off half way through
 *       the body (half way through the headers when there is no body), then the connection closed;
 *   <li>{@link Fault#STALL}: the server's response held back for a while (0.5-2 s unless told otherwise), so a
 *       client with a shorter read timeout gives up on it.
 * </ul>
 *
 * <p>Beside faults it can hold every response back for a fixed time (a distant store's round trip, for the
 * listing benchmark), and can drop {@code start-after} and {@code marker} from listings (a store that ignores
 * them; the server must not check signatures for that). It records how many requests were in flight at most.
 *
 * <p>One request per connection ({@code Connection: close} both ways); bodies are read whole, so this suits test
 * objects of a few MiB. {@code Expect: 100-continue} is answered here. The Host header is passed on unchanged, so
 * request signatures stay valid. What was injected is counted per kind.
 */
public final class S3FaultProxy implements AutoCloseable {
  /** The kinds of fault. */
  public enum Fault { SLOW_DOWN, INTERNAL_ERROR, CUT, STALL }

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final Random random;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "s3-fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
  private final AtomicLong requests = new AtomicLong();
  private volatile double rate;
  private volatile Duration stallMin = Duration.ofMillis(500);
  private volatile Duration stallMax = Duration.ofSeconds(2);
  private volatile boolean closed;
  private volatile Duration latency = Duration.ZERO;
  private volatile boolean ignoreListingStart;
  private volatile boolean ignoreRanges;
  private final AtomicLong listingStartsDropped = new AtomicLong();
  /** Each request's method and {@code x-amz-content-sha256} (how its payload was signed), in arrival order. */
  private final List<String> payloadSignatures = java.util.Collections.synchronizedList(new ArrayList<>());
  /** Each request's method and target (path and query), in arrival order. */
  private final List<String> requestLines = java.util.Collections.synchronizedList(new ArrayList<>());
  private int inFlight;
  private int peakInFlight;
  private volatile String gateMarker;
  private int gateCount;
  private long gateMaxNanos;
  private int gated;
  private boolean gateOpen;
  /** Faults for the next requests, ahead of the random ones (null: a request that passes). */
  private final java.util.Deque<java.util.Optional<Fault>> script = new java.util.ArrayDeque<>();

  /**
   * @param upstreamPort the S3 server's port on 127.0.0.1
   * @param rate share of requests that fail, 0 to 1
   * @param seed seed of the sequence deciding which requests fail and how
   */
  public S3FaultProxy(int upstreamPort, double rate, long seed) throws IOException {
    this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
    this.rate = rate;
    this.random = new Random(seed);
    for (Fault f : Fault.values()) {
      injected.put(f, new AtomicLong());
    }
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    pool.execute(this::acceptLoop);
  }

  /** Sets the share of failing requests from now on. */
  public S3FaultProxy rate(double r) {
    this.rate = r;
    return this;
  }

  /** Sets the range of stall durations. */
  public S3FaultProxy stall(Duration min, Duration max) {
    this.stallMin = min;
    this.stallMax = max;
    return this;
  }

  /** Holds every response back this long before sending it (zero: none). */
  public S3FaultProxy latency(Duration d) {
    this.latency = d;
    return this;
  }

  /** Drops {@code start-after} and {@code marker} from listing requests from now on, as a store ignoring them. */
  public S3FaultProxy ignoreListingStart() {
    this.ignoreListingStart = true;
    return this;
  }

  /**
   * Drops the {@code Range} header from requests from now on, as a store that ignores it and sends whole objects
   * does (the server behind must not check signatures, which cover the header).
   */
  public S3FaultProxy ignoreRanges() {
    this.ignoreRanges = true;
    return this;
  }

  /** Listing requests whose {@code start-after} or {@code marker} was dropped. */
  public long listingStartsDropped() {
    return listingStartsDropped.get();
  }

  /**
   * Holds each request whose request line or a header line ({@code Name: value}) contains {@code marker} until
   * {@code n} of them are held at once (then lets them and every later one through) or until {@code max} has
   * passed for it, or until {@link #openGate}. A client that sends such requests one at a time is held {@code max}
   * for each, and {@link #peakInFlight} shows one.
   */
  public synchronized S3FaultProxy gate(String marker, int n, Duration max) {
    gateMarker = marker;
    gateCount = n;
    gateMaxNanos = max.toNanos();
    gated = 0;
    gateOpen = false;
    return this;
  }

  /** Lets every request held at the gate, and every later one, through. */
  public synchronized void openGate() {
    gateOpen = true;
    notifyAll();
  }

  /** Waits (at most {@code max}) until {@code n} requests are held at the gate; whether they are. */
  public synchronized boolean awaitGated(int n, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    for (long left = max.toNanos(); gated < n && left > 0; left = deadline - System.nanoTime()) {
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return gated >= n;
  }

  private static boolean mentions(Message request, String marker) {
    if (request.firstLine().contains(marker)) {
      return true;
    }
    for (String[] h : request.headers()) {
      if ((h[0] + ": " + h[1]).contains(marker)) {
        return true;
      }
    }
    return false;
  }

  private synchronized void passGate(Message request) throws InterruptedException {
    String marker = gateMarker;
    if (marker == null || gateOpen || !mentions(request, marker)) {
      return;
    }
    gated++;
    notifyAll();
    if (gated >= gateCount) {
      gateOpen = true;
      notifyAll();
      return;
    }
    long deadline = System.nanoTime() + gateMaxNanos;
    for (long left = gateMaxNanos; !gateOpen && left > 0; left = deadline - System.nanoTime()) {
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    gated--;
  }

  /** The most requests this proxy was serving at one time since it started or since the last reset. */
  public synchronized int peakInFlight() {
    return peakInFlight;
  }

  /** Starts {@link #peakInFlight} over from the requests in flight now. */
  public synchronized void resetPeakInFlight() {
    peakInFlight = inFlight;
  }

  private synchronized void inFlight(int delta) {
    inFlight += delta;
    peakInFlight = Math.max(peakInFlight, inFlight);
  }

  public int port() {
    return server.getLocalPort();
  }

  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  /** Each request's method and its {@code x-amz-content-sha256} header ("" if none), in arrival order. */
  public List<String> payloadSignatures() {
    synchronized (payloadSignatures) {
      return new ArrayList<>(payloadSignatures);
    }
  }

  /** Each request's method and target ({@code PUT /bucket/key?partNumber=2&uploadId=...}), in arrival order. */
  public List<String> requestLines() {
    synchronized (requestLines) {
      return new ArrayList<>(requestLines);
    }
  }

  /** Requests seen so far. */
  public long requests() {
    return requests.get();
  }

  /** Faults of one kind injected so far. */
  public long injected(Fault f) {
    return injected.get(f).get();
  }

  /** Faults of every kind injected so far. */
  public long injectedTotal() {
    long n = 0;
    for (AtomicLong a : injected.values()) {
      n += a.get();
    }
    return n;
  }

  /** "SLOW_DOWN=3 INTERNAL_ERROR=1 ...". */
  public String injectedSummary() {
    StringBuilder sb = new StringBuilder();
    injected.forEach((f, n) -> sb.append(sb.length() == 0 ? "" : " ").append(f).append('=').append(n.get()));
    return sb.toString();
  }

  /** Waits until at least {@code n} requests arrived; false when the timeout passed first. */
  public boolean awaitRequests(long n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (requests) {
      while (requests.get() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(requests, left);
      }
    }
    return true;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        pool.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("fault proxy accept failed", e);
        }
      }
    }
  }

  /** Which fault, if any, the next request gets, and for a stall how long. */
  private record Decision(Fault fault, long stallMillis) {}

  /** The next requests get these faults in order ({@code null}: passes), before the random sequence resumes. */
  public S3FaultProxy script(Fault... faults) {
    synchronized (random) {
      for (Fault f : faults) {
        script.add(java.util.Optional.ofNullable(f));
      }
    }
    return this;
  }

  private Decision decide() {
    synchronized (random) {
      double r = random.nextDouble();
      Fault f = r < rate ? Fault.values()[random.nextInt(Fault.values().length)] : null;
      if (!script.isEmpty()) {
        f = script.poll().orElse(null);
      }
      long min = stallMin.toMillis();
      long stall = min + (long) (random.nextDouble() * Math.max(0, stallMax.toMillis() - min));
      return new Decision(f, stall);
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      Message request = readMessage(in, out, true, null);
      if (request == null) {
        return;
      }
      String sha = "";
      for (String[] h : request.headers()) {
        if (h[0].equalsIgnoreCase("x-amz-content-sha256")) {
          sha = h[1];
        }
      }
      String[] line = request.firstLine().split(" ");
      payloadSignatures.add(line[0] + " " + sha);
      requestLines.add(line[0] + " " + line[1]);
      inFlight(1);
      try {
        passGate(request);
        serve(request, out);
      } finally {
        inFlight(-1);
      }
    } catch (IOException e) {
      // the client gave up (a stall it timed out on) or went away: nothing to do
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serve(Message request, OutputStream out) throws IOException, InterruptedException {
    if (ignoreRanges) {
      request = request.withoutHeader("Range");
    }
    if (ignoreListingStart) {
      Message stripped = request.withoutQueryParameters("start-after", "marker");
      if (stripped != request) {
        listingStartsDropped.incrementAndGet();
        request = stripped;
      }
    }
    synchronized (requests) {
      requests.incrementAndGet();
      requests.notifyAll();
    }
    Decision d = decide();
    if (d.fault() != null) {
      injected.get(d.fault()).incrementAndGet();
    }
    if (d.fault() == Fault.SLOW_DOWN) {
      out.write(errorResponse(503, "SlowDown", "Please reduce your request rate."));
      out.flush();
      return;
    }
    Message response = forward(request);
    if (!latency.isZero()) {
      Thread.sleep(latency.toMillis()); // the round trip of a distant store, not a timing in a test
    }
    byte[] bytes = response.encode(!request.method().equals("HEAD"));
    switch (d.fault() == null ? "NONE" : d.fault().name()) {
      case "INTERNAL_ERROR" -> out.write(errorResponse(500, "InternalError", "We encountered an internal error."));
      case "CUT" -> {
        int headerLength = bytes.length - (request.method().equals("HEAD") ? 0 : response.body().length);
        int cutAt = response.body().length >= 2 && !request.method().equals("HEAD")
            ? headerLength + response.body().length / 2 : headerLength / 2;
        out.write(bytes, 0, cutAt);
      }
      case "STALL" -> {
        Thread.sleep(d.stallMillis());
        out.write(bytes);
      }
      default -> out.write(bytes);
    }
    out.flush();
  }

  private Message forward(Message request) throws IOException {
    try (Socket up = new Socket()) {
      up.connect(upstream, 10_000);
      up.setSoTimeout(60_000);
      OutputStream o = up.getOutputStream();
      o.write(request.encode(true));
      o.flush();
      return readMessage(new BufferedInputStream(up.getInputStream()), null, false, request.method());
    }
  }

  private static byte[] errorResponse(int status, String code, String message) {
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
        + "</Message><RequestId>fault-proxy</RequestId></Error>";
    byte[] body = xml.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + (status == 503 ? "Slow Down" : "Internal Server Error") + "\r\n"
        + "Content-Type: application/xml\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    b.writeBytes(body);
    return b.toByteArray();
  }

  /** A request or response: its first line, its headers except the framing ones, and its whole body. */
  private record Message(String firstLine, List<String[]> headers, byte[] body) {
    String method() {
      return firstLine.substring(0, firstLine.indexOf(' '));
    }

    /** This request without the named query parameters; this same message when it has none of them. */
    /** This message without the header of that name (any case). */
    Message withoutHeader(String name) {
      List<String[]> kept = new ArrayList<>();
      for (String[] h : headers) {
        if (!h[0].equalsIgnoreCase(name)) {
          kept.add(h);
        }
      }
      return kept.size() == headers.size() ? this : new Message(firstLine, kept, body);
    }

    Message withoutQueryParameters(String... names) {
      String[] parts = firstLine.split(" ");
      int q = parts[1].indexOf('?');
      if (q < 0) {
        return this;
      }
      List<String> kept = new ArrayList<>();
      boolean dropped = false;
      for (String param : parts[1].substring(q + 1).split("&")) {
        String name = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
        if (List.of(names).contains(name)) {
          dropped = true;
        } else {
          kept.add(param);
        }
      }
      if (!dropped) {
        return this;
      }
      String target = parts[1].substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
      return new Message(parts[0] + " " + target + " " + parts[2], headers, body);
    }

    /** The message with {@code Connection: close} and a Content-Length (unless a HEAD response keeps its own). */
    byte[] encode(boolean withBody) {
      StringBuilder sb = new StringBuilder(firstLine).append("\r\n");
      boolean hasLength = false;
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase("Content-Length")) {
          if (withBody) {
            continue;
          }
          hasLength = true;
        }
        sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
      }
      if (withBody || !hasLength) {
        sb.append("Content-Length: ").append(withBody ? body.length : 0).append("\r\n");
      }
      sb.append("Connection: close\r\n\r\n");
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (withBody) {
        b.writeBytes(body);
      }
      return b.toByteArray();
    }
  }

  /**
   * Reads one message. For a request, {@code Expect: 100-continue} is answered on {@code client} and dropped. For a
   * response, {@code requestMethod} tells whether a body follows. Null when the stream ends before a first line.
   */
  private static Message readMessage(InputStream in, OutputStream client, boolean isRequest, String requestMethod)
      throws IOException {
    String first = readLine(in);
    if (first == null) {
      return null;
    }
    while (!isRequest && first.startsWith("HTTP/1.1 100")) { // an interim response: skip it and its blank line
      while (!readLine(in).isEmpty()) {
        // interim headers
      }
      first = readLine(in);
    }
    List<String[]> headers = new ArrayList<>();
    long length = -1;
    boolean chunked = false;
    boolean expectContinue = false;
    for (String line; !(line = readLine(in)).isEmpty(); ) {
      int colon = line.indexOf(':');
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      switch (name.toLowerCase(Locale.ROOT)) {
        case "content-length" -> {
          length = Long.parseLong(value);
          headers.add(new String[] {name, value});
        }
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection", "keep-alive" -> { }
        case "expect" -> expectContinue = true;
        default -> headers.add(new String[] {name, value});
      }
    }
    if (expectContinue && client != null) {
      client.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      client.flush();
    }
    byte[] body;
    int status = isRequest ? 0 : Integer.parseInt(first.split(" ")[1]);
    boolean noBody = !isRequest && ("HEAD".equals(requestMethod) || status == 204 || status == 304);
    if (noBody) {
      body = new byte[0];
    } else if (chunked) {
      body = readChunked(in);
    } else if (length >= 0) {
      body = in.readNBytes(Math.toIntExact(length));
      if (body.length != length) {
        throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
      }
    } else {
      body = isRequest ? new byte[0] : in.readAllBytes();
    }
    if (!noBody) {
      headers.removeIf(h -> h[0].equalsIgnoreCase("Content-Length"));
    }
    return new Message(first, headers, body);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      String size = readLine(in);
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      if (n == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers
        }
        return b.toByteArray();
      }
      byte[] chunk = in.readNBytes(n);
      if (chunk.length != n) {
        throw new EOFException("chunk ended early");
      }
      b.writeBytes(chunk);
      readLine(in);
    }
  }

  /** A CRLF-terminated line without its terminator; null at the end of the stream before any byte. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] l = b.toByteArray();
        int len = l.length > 0 && l[l.length - 1] == '\r' ? l.length - 1 : l.length;
        return new String(l, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    if (b.size() == 0) {
      return null;
    }
    throw new EOFException("line ended early");
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    pool.shutdownNow();
  }
}
