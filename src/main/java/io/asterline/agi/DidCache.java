package io.asterline.agi;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last-known-good DID -> tenant map that lets inbound answer while the database is down or slow. It is
 * reloaded whole on a timer and touched by every lookup that reaches the database, so it is at most one
 * refresh period old when the database goes away.
 */
final class DidCache {

  /** A number that took calls when last seen, and what a degraded answer needs about it. */
  record Entry(String number, UUID didId, long tenantId, String trunk, boolean recordingEnabled) {}

  private final Map<String, Entry> byNumber = new ConcurrentHashMap<>();
  private volatile Instant loadedAt;

  /** Replaces the whole map with a fresh load from the database. */
  void replaceAll(List<Entry> entries, Instant now) {
    Map<String, Entry> fresh = new HashMap<>();
    entries.forEach(e -> fresh.put(e.number(), e));
    byNumber.keySet().retainAll(fresh.keySet());
    byNumber.putAll(fresh);
    loadedAt = now;
  }

  void put(Entry entry) {
    byNumber.put(entry.number(), entry);
  }

  void remove(String number) {
    byNumber.remove(number);
  }

  Optional<Entry> find(String number) {
    return Optional.ofNullable(byNumber.get(number));
  }

  /**
   * True once a full load has succeeded: only then does a number missing from the map mean "unknown" rather
   * than "not loaded yet".
   */
  boolean loaded() {
    return loadedAt != null;
  }

  Optional<Instant> loadedAt() {
    return Optional.ofNullable(loadedAt);
  }

  int size() {
    return byNumber.size();
  }
}
