package io.tsdbcompactor.bucket;

import com.google.cloud.WriteChannel;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Google's in-process fake of the storage service (a fresh, empty store), counting the bytes handed to the
 * channels of resumable uploads as they are written to them, and noting the objects created: what a test of uploads
 * while written watches.
 */
public final class CountingGcsStorage {
  private final AtomicLong handed = new AtomicLong();
  private final Set<String> finalized = ConcurrentHashMap.newKeySet();
  private final Storage storage;

  public CountingGcsStorage() {
    // A store of its own: getOptions() shares one store across the test JVM, which keeps every object (and every
    // resumable upload's bytes) of the last test to use it until the next one resets it.
    Storage real = LocalStorageHelper.customOptions(true).getService();
    storage = (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class},
        (proxy, method, args) -> {
          Object result = invoke(real, method, args);
          if (method.getName().equals("create") && args.length > 0 && args[0] instanceof BlobInfo info) {
            finalized.add(info.getName());
          }
          return result instanceof WriteChannel w ? counting(w, ((BlobInfo) args[0]).getName()) : result;
        });
  }

  /** The store. */
  public Storage storage() {
    return storage;
  }

  /** The bytes written to resumable uploads' channels so far. */
  public long handed() {
    return handed.get();
  }

  /**
   * Whether an object was created at {@code name}, in one request or by a resumable upload whose channel was
   * closed (finalized). The fake shows the chunks a channel has flushed as an object before that; GCS does not.
   */
  public boolean finalized(String name) {
    return finalized.contains(name);
  }

  private WriteChannel counting(WriteChannel w, String name) {
    return (WriteChannel) Proxy.newProxyInstance(WriteChannel.class.getClassLoader(),
        new Class<?>[] {WriteChannel.class}, (proxy, method, args) -> {
          Object result = invoke(w, method, args);
          if (method.getName().equals("write")) {
            handed.addAndGet((Integer) result);
          } else if (method.getName().equals("close")) {
            finalized.add(name);
          }
          return result;
        });
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
