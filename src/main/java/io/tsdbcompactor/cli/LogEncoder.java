package io.tsdbcompactor.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import org.slf4j.event.KeyValuePair;

/**
 * One log line per event in the two formats {@code --log.format} offers, shaped like Thanos's go-kit lines so
 * the same log pipelines parse both: {@code logfmt} ({@code ts=... level=info caller=... msg="..." k=v}) and
 * {@code json} (one object per line with the same keys). SLF4J key-value pairs
 * ({@code log.atInfo().addKeyValue("group", key)}) become fields.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TS = DateTimeFormatter.ISO_INSTANT;
  private boolean json;

  /**
   * For the jar's {@code logback.xml} ({@code src/main/shaded}), which logs until {@link Logging} applies the
   * command line: logback builds its encoder through this constructor and {@link #setFormat}.
   */
  public LogEncoder() {}

  public LogEncoder(boolean json) {
    this.json = json;
  }

  /** {@code <format>json</format>} or {@code logfmt} in logback.xml. */
  public void setFormat(String format) {
    this.json = "json".equalsIgnoreCase(format);
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder(160);
    String ts = TS.format(Instant.ofEpochMilli(e.getTimeStamp()));
    String level = e.getLevel().toString().toLowerCase(java.util.Locale.ROOT);
    String caller = e.getLoggerName().substring(e.getLoggerName().lastIndexOf('.') + 1);
    if (json) {
      sb.append('{');
      jsonField(sb, "ts", ts, true);
      jsonField(sb, "level", level, false);
      jsonField(sb, "caller", caller, false);
      jsonField(sb, "msg", e.getFormattedMessage(), false);
      if (e.getKeyValuePairs() != null) {
        for (KeyValuePair kv : e.getKeyValuePairs()) {
          jsonField(sb, kv.key, String.valueOf(kv.value), false);
        }
      }
      if (e.getThrowableProxy() != null) {
        jsonField(sb, "err", errorText(e.getThrowableProxy()), false);
      }
      sb.append('}');
    } else {
      sb.append("ts=").append(ts).append(" level=").append(level).append(" caller=").append(caller);
      logfmtField(sb, "msg", e.getFormattedMessage());
      if (e.getKeyValuePairs() != null) {
        for (KeyValuePair kv : e.getKeyValuePairs()) {
          logfmtField(sb, kv.key, String.valueOf(kv.value));
        }
      }
      if (e.getThrowableProxy() != null) {
        logfmtField(sb, "err", errorText(e.getThrowableProxy()));
      }
    }
    sb.append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One JSON log line (with its newline) in the shape {@link #encode} gives logger events. */
  static String jsonLine(Instant ts, String level, String caller, String msg) {
    StringBuilder sb = new StringBuilder(96 + msg.length());
    sb.append('{');
    jsonField(sb, "ts", TS.format(ts), true);
    jsonField(sb, "level", level, false);
    jsonField(sb, "caller", caller, false);
    jsonField(sb, "msg", msg, false);
    return sb.append("}\n").toString();
  }

  private static String errorText(IThrowableProxy t) {
    // Debug level gets the stack, as a single field; otherwise the message chain keeps lines short.
    StringBuilder sb = new StringBuilder();
    for (IThrowableProxy p = t; p != null; p = p.getCause()) {
      if (sb.length() > 0) {
        sb.append(": ");
      }
      sb.append(p.getMessage() == null ? p.getClassName() : p.getMessage());
    }
    if (org.slf4j.LoggerFactory.getLogger("io.tsdbcompactor").isDebugEnabled()) {
      sb.append('\n').append(ThrowableProxyUtil.asString(t));
    }
    return sb.toString();
  }

  private static void logfmtField(StringBuilder sb, String key, String value) {
    sb.append(' ').append(key).append('=');
    boolean quote = value.isEmpty();
    for (int i = 0; i < value.length() && !quote; i++) {
      char c = value.charAt(i);
      quote = c <= ' ' || c == '=' || c == '"';
    }
    if (!quote) {
      sb.append(value);
      return;
    }
    sb.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    sb.append('"');
  }

  private static void jsonField(StringBuilder sb, String key, String value, boolean first) {
    if (!first) {
      sb.append(',');
    }
    jsonString(sb, key);
    sb.append(':');
    jsonString(sb, value);
  }

  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
