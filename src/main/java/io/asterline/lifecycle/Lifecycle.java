package io.asterline.lifecycle;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything started is registered here, in start order, and stopped in reverse order: servers that take
 * new calls stop first, the database last.
 */
public final class Lifecycle implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  private record Part(String name, AutoCloseable closeable) {}

  private final Deque<Part> parts = new ArrayDeque<>();
  private boolean closed;

  public synchronized <T extends AutoCloseable> T register(String name, T closeable) {
    if (closed) {
      throw new IllegalStateException("already shut down, cannot start " + name);
    }
    parts.push(new Part(name, closeable));
    return closeable;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!parts.isEmpty()) {
      Part part = parts.pop();
      try {
        part.closeable().close();
        log.info("stopped {}", part.name());
      } catch (Exception e) {
        log.warn("{} did not stop cleanly: {}", part.name(), e.toString());
      }
    }
  }
}
