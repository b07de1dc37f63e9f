package io.tsdbcompactor.sync;

import java.time.Instant;

/**
 * A block folder without a usable {@code meta.json}: an upload that is still running, or one that died.
 * {@code lastModified} is the newest object under the folder (the ULID time when there is none); Thanos's
 * cleaner deletes it 48 h after that.
 */
public record PartialBlock(String ulid, String reason, Instant lastModified) {}
