package io.asterline.agi;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs refused connections at most once per source address and reason per minute, with a count of the ones
 * left out since. A host hammering the port would otherwise fill the disk with identical lines; one line a
 * minute per address still tells the operator who, why and how often.
 */
public final class RefusalLog {

  static final long WINDOW_NANOS = 60_000_000_000L;
  /** Sources remembered at once; beyond it, entries older than the window are dropped first. */
  private static final int MAX_SOURCES = 10_000;

  private record Key(InetAddress source, String reason) {}

  private static final class Window {
    long startedNanos;
    long suppressed;
  }

  private final Logger log;
  private final String prefix;
  private final LongSupplier nanoClock;
  private final Map<Key, Window> windows = new HashMap<>();

  public RefusalLog(Logger log, String prefix) {
    this(log, prefix, System::nanoTime);
  }

  RefusalLog(Logger log, String prefix, LongSupplier nanoClock) {
    this.log = log;
    this.prefix = prefix;
    this.nanoClock = nanoClock;
  }

  /**
   * Records one refusal of {@code source} for {@code reason} (a fixed text such as "not in agi.allow"; the
   * address is added) and logs it unless this address was logged for this reason within the last minute.
   */
  public void refused(InetAddress source, String reason) {
    long now = nanoClock.getAsLong();
    long suppressed;
    synchronized (windows) {
      Key key = new Key(source, reason);
      Window w = windows.get(key);
      if (w != null && now - w.startedNanos < WINDOW_NANOS) {
        w.suppressed++;
        return;
      }
      if (w == null) {
        if (windows.size() >= MAX_SOURCES) {
          prune(now);
        }
        w = new Window();
        windows.put(key, w);
      }
      suppressed = w.suppressed;
      w.startedNanos = now;
      w.suppressed = 0;
    }
    if (suppressed > 0) {
      log.warn("{}: refused a connection from {} ({}); {} more from it in the last minute were not logged", prefix,
          source.getHostAddress(), reason, suppressed);
    } else {
      log.warn("{}: refused a connection from {} ({}); more from it within a minute are counted, not logged",
          prefix, source.getHostAddress(), reason);
    }
  }

  private void prune(long now) {
    for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
      if (now - it.next().startedNanos >= WINDOW_NANOS) {
        it.remove();
      }
    }
    if (windows.size() >= MAX_SOURCES) {
      // all recent: forget them all rather than grow without bound (costs one extra line per address)
      windows.clear();
    }
  }
}
