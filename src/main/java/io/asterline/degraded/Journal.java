package io.asterline.degraded;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes held while the database is unreachable, on this node's disk so that they survive a restart of the
 * node: append-only segment files in {@code <data.dir>/journal/}, each record {@code [length:int][crc32:int][JSON]}
 * and fsync'd before {@link #hold} returns. Records are taken out oldest first and removed only once the caller
 * says they are committed ({@link #committed}); a segment file is deleted when none of its records is left. A crash
 * between a commit and the deletion replays records that are already in the database, which is why every
 * {@link HeldWrite} is idempotent. A torn record at the end of a segment (the node died mid-write) was never
 * acknowledged to anyone and is ignored.
 *
 * <p>Bounded by {@code maxBytes}: past it a write for a call the journal does not hold yet is refused (inbound then
 * answers ERROR, the dialplan's failure route, instead of a call whose row could not be kept). Writes for a call
 * already held (its connection, outcome and end) are always taken: refusing them would leave a row without its
 * end, and a call adds at most a few of them.
 *
 * <p>One node per directory: a lock file keeps a second process from appending to the same segments.
 */
public final class Journal implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  private static final String SUFFIX = ".journal";
  /** Small segments: a crash replays at most one segment's worth of already-committed records. */
  private static final long SEGMENT_BYTES = 1 << 20;
  private static final int HEADER = 8;
  private static final int MAX_RECORD = 16 << 20;

  /** One write as held, with the segment file it lives in. */
  public record Held(long segment, int bytes, HeldWrite write) {}

  private final Path dir;
  private final long maxBytes;
  private final ObjectMapper json;
  private final FileChannel lockFile;
  private final FileLock lock;
  private final Deque<Held> held = new ArrayDeque<>();
  private final Map<UUID, Integer> perCall = new HashMap<>();
  private final Map<Long, Integer> perSegment = new HashMap<>();
  private final Map<Long, Long> segmentSizes = new HashMap<>();
  private long bytes;
  private long nextSegment;
  private long currentSegment = -1;
  private FileChannel current;
  /** Records written so far (guarded by this), and how many of them are known to be on disk. */
  private long appended;
  private volatile long durable;
  /** One fsync at a time; the records written while it runs share the next one. */
  private final Object syncLock = new Object();
  private boolean closed;

  private Journal(Path dir, long maxBytes, ObjectMapper json, FileChannel lockFile, FileLock lock) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.json = json;
    this.lockFile = lockFile;
    this.lock = lock;
  }

  /** Opens (creating it if needed) the journal in {@code dir} and reads back every record still held there. */
  public static Journal open(Path dir, long maxBytes, ObjectMapper json) {
    Path d = dir.toAbsolutePath().normalize();
    FileChannel lockFile = null;
    try {
      Files.createDirectories(d);
      lockFile = FileChannel.open(d.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockFile.tryLock();
      } catch (OverlappingFileLockException e) {
        // held by this same process (a second node in one JVM, as tests run them)
        lock = null;
      }
      if (lock == null) {
        throw new IllegalStateException("journal " + d + " is in use by another process: each node needs its own "
            + "data.dir");
      }
      Journal j = new Journal(d, maxBytes, json, lockFile, lock);
      j.load();
      return j;
    } catch (IOException e) {
      close(lockFile);
      throw new IllegalStateException("cannot open the journal in " + d + " (data.dir): " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close(lockFile);
      throw e;
    }
  }

  private void load() throws IOException {
    List<Path> segments;
    try (Stream<Path> files = Files.list(dir)) {
      segments = files.filter(p -> p.getFileName().toString().matches("[0-9]{20}\\" + SUFFIX)).sorted().toList();
    }
    for (Path p : segments) {
      long segment = Long.parseLong(p.getFileName().toString().substring(0, 20));
      nextSegment = Math.max(nextSegment, segment + 1);
      int found = read(p, segment);
      if (found == 0) {
        Files.deleteIfExists(p);
      } else {
        segmentSizes.put(segment, Files.size(p));
        bytes += Files.size(p);
      }
    }
    if (!held.isEmpty()) {
      log.info("journal: {} write(s) held from before the restart ({} bytes in {}), to be written to the database",
          held.size(), bytes, dir);
    }
  }

  private int read(Path p, long segment) throws IOException {
    byte[] all = Files.readAllBytes(p);
    ByteBuffer buf = ByteBuffer.wrap(all);
    int found = 0;
    while (buf.remaining() >= HEADER) {
      int length = buf.getInt();
      int crc = buf.getInt();
      if (length <= 0 || length > MAX_RECORD || length > buf.remaining()) {
        buf.position(buf.position() - HEADER);
        break;
      }
      byte[] payload = new byte[length];
      buf.get(payload);
      if (crc(payload) != crc) {
        buf.position(buf.position() - HEADER - length);
        break;
      }
      try {
        add(new Held(segment, HEADER + length, json.readValue(payload, HeldWrite.class)));
        found++;
      } catch (IOException e) {
        log.error("journal: {} holds a record this version cannot read; skipped: {}", p.getFileName(), e.getMessage());
      }
    }
    if (buf.hasRemaining()) {
      // never acknowledged: the node stopped in the middle of writing it
      log.warn("journal: ignoring {} byte(s) of an unfinished record at the end of {}", buf.remaining(), p.getFileName());
    }
    return found;
  }

  /**
   * Writes {@code write} to disk, fsync'd, and holds it until {@link #committed}. False when it was not kept: the
   * journal is full and holds nothing yet for its call, or the disk refused it (logged).
   *
   * <p>Group commit: the record is written under the journal's lock, the fsync happens outside it, and one fsync
   * covers every record written before it, so callers arriving together (a burst of calls during an outage) share
   * one instead of queueing for one each. The record is held (visible to {@link #oldest}, {@link #holds}) only once
   * it is durable; a call's writes come one after another, so its order is kept.
   */
  public boolean hold(HeldWrite write) {
    byte[] payload;
    try {
      payload = json.writeValueAsBytes(write);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int size = HEADER + payload.length;
    long seq;
    long segment;
    synchronized (this) {
      if (closed) {
        log.error("journal: closed; a {} write for call {} is lost", kind(write), write.callId());
        return false;
      }
      if (!perCall.containsKey(write.callId()) && bytes + size > maxBytes) {
        log.error("journal full ({} of {} bytes): a {} write for call {} is not kept", bytes, maxBytes, kind(write),
            write.callId());
        return false;
      }
      try {
        if (current == null || segmentSizes.getOrDefault(currentSegment, 0L) >= SEGMENT_BYTES) {
          roll();
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putInt(payload.length).putInt(crc(payload)).put(payload).flip();
        while (buf.hasRemaining()) {
          current.write(buf);
        }
      } catch (IOException e) {
        log.error("journal: cannot write to {}: {}; a {} write for call {} is not kept", dir, e.getMessage(),
            kind(write), write.callId());
        // the segment may end in a partial record now: the next write starts a new one (what was written before
        // this record is forced first, best effort)
        forceAndClose();
        return false;
      }
      segment = currentSegment;
      segmentSizes.merge(segment, (long) size, Long::sum);
      bytes += size;
      // counted in its segment at once: the segment is not deleted under a record on its way to the disk
      perSegment.merge(segment, 1, Integer::sum);
      seq = ++appended;
    }
    if (!sync(seq)) {
      log.error("journal: cannot fsync {}; a {} write for call {} is not kept", dir, kind(write), write.callId());
      return false;
    }
    synchronized (this) {
      held.addLast(new Held(segment, size, write));
      perCall.merge(write.callId(), 1, Integer::sum);
    }
    return true;
  }

  /** Makes every record up to {@code seq} durable; one fsync serves all the records written before it. */
  private boolean sync(long seq) {
    if (durable >= seq) {
      return true;
    }
    synchronized (syncLock) {
      if (durable >= seq) {
        return true;
      }
      long target;
      FileChannel channel;
      synchronized (this) {
        target = appended;
        channel = current;
      }
      // every record up to target is in this channel or in an older segment, forced when it was rolled
      if (channel != null) {
        try {
          channel.force(false);
        } catch (ClosedChannelException e) {
          // rolled (and forced then) or emptied by commits meanwhile: nothing of ours is left unforced in it
        } catch (IOException e) {
          return false;
        }
      }
      durable = Math.max(durable, target);
      return true;
    }
  }

  private void roll() throws IOException {
    forceAndClose();
    long segment = nextSegment++;
    Path p = segmentPath(segment);
    current = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    currentSegment = segment;
    segmentSizes.put(segment, 0L);
    forceDirectory();
  }

  /** Closes the current segment with everything written to it on disk (callers waiting for an fsync are done). */
  private void forceAndClose() {
    if (current != null) {
      try {
        current.force(false);
        durable = Math.max(durable, appended);
      } catch (IOException e) {
        log.error("journal: cannot fsync {}: {}", dir, e.getMessage());
      }
      close(current);
      current = null;
    }
  }

  /** A new file's name must survive a crash too, not only its contents. */
  private void forceDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every file system lets a directory be opened; the file's own fsync is the best there is
    }
  }

  /** A record read back at start: durable already. */
  private void add(Held h) {
    held.addLast(h);
    perCall.merge(h.write().callId(), 1, Integer::sum);
    perSegment.merge(h.segment(), 1, Integer::sum);
  }

  /** The oldest write not yet committed. */
  public synchronized Optional<Held> oldest() {
    return Optional.ofNullable(held.peekFirst());
  }

  /** The database has {@code h}: forget it, and delete its segment once nothing in it is left. */
  public synchronized void committed(Held h) {
    if (!held.remove(h)) {
      return;
    }
    perCall.computeIfPresent(h.write().callId(), (k, n) -> n == 1 ? null : n - 1);
    Integer left = perSegment.computeIfPresent(h.segment(), (k, n) -> n == 1 ? null : n - 1);
    if (left == null && (h.segment() != currentSegment || held.isEmpty())) {
      if (h.segment() == currentSegment) {
        // no record of it is left, held or on its way to the disk: nothing needs forcing
        close(current);
        current = null;
        currentSegment = -1;
      }
      try {
        Files.deleteIfExists(segmentPath(h.segment()));
      } catch (IOException e) {
        log.warn("journal: cannot delete {} (its records are all written; a restart replays them harmlessly): {}",
            segmentPath(h.segment()).getFileName(), e.getMessage());
      }
      Long size = segmentSizes.remove(h.segment());
      bytes -= size == null ? 0 : size;
    }
  }

  /** True while a write of this call waits here: its later writes must wait behind it. */
  public synchronized boolean holds(UUID callId) {
    return perCall.containsKey(callId);
  }

  public synchronized int size() {
    return held.size();
  }

  public synchronized long bytes() {
    return bytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public Path directory() {
    return dir;
  }

  /** A snapshot of what is held, oldest first (tests, health). */
  public synchronized List<HeldWrite> writes() {
    List<HeldWrite> out = new ArrayList<>(held.size());
    held.forEach(h -> out.add(h.write()));
    return out;
  }

  private Path segmentPath(long segment) {
    return dir.resolve(String.format("%020d", segment) + SUFFIX);
  }

  private static String kind(HeldWrite w) {
    return w.getClass().getSimpleName();
  }

  private static int crc(byte[] payload) {
    CRC32 c = new CRC32();
    c.update(payload);
    return (int) c.getValue();
  }

  private static void close(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing is buffered: every record was forced when it was written
      }
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    forceAndClose();
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    close(lockFile);
    if (!held.isEmpty()) {
      log.warn("journal: closing with {} write(s) held in {}; they are written when a node starts on this data.dir",
          held.size(), dir);
    }
  }
}
