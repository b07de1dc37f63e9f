package io.tsdbcompactor.bucket;

import java.time.Instant;

/** What a HEAD request tells about an object. */
public record ObjectAttributes(long size, Instant lastModified) {}
