package io.tsdbcompactor.bucket;

import io.tsdbcompactor.examples.KeyValueBucket;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/** The library guide's example {@link Bucket} over a key-value store meets the contract every bucket meets. */
class KeyValueBucketContractTest extends BucketContractTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T07:00:00Z"), ZoneOffset.UTC);

  /** A sorted map standing for the other store. */
  static final class MapStore implements KeyValueBucket.KeyValueStore {
    final ConcurrentSkipListMap<String, KeyValueBucket.Stored> map = new ConcurrentSkipListMap<>();

    @Override
    public KeyValueBucket.Stored get(String key) {
      return map.get(key);
    }

    @Override
    public void put(String key, byte[] value) {
      map.put(key, new KeyValueBucket.Stored(value.clone(), CLOCK.instant()));
    }

    @Override
    public void delete(String key) {
      map.remove(key);
    }

    @Override
    public Iterable<String> keysWithPrefix(String prefix) {
      return List.copyOf(map.tailMap(prefix).keySet().stream().takeWhile(k -> k.startsWith(prefix)).toList());
    }
  }

  @Override
  protected Bucket newBucket() {
    return new KeyValueBucket("kv", new MapStore());
  }
}
