package io.asterline.degraded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal on disk: what survives a restart, what a crash mid-write leaves, and what it refuses when full. */
class JournalTest {

  private static final OffsetDateTime AT = OffsetDateTime.of(2026, 12, 6, 10, 0, 0, 0, ZoneOffset.UTC);

  @TempDir
  Path dir;

  @Test
  void heldWritesSurviveAReopenInOrderAndLeaveTheDiskOnceCommitted() throws IOException {
    UUID call = UUID.randomUUID();
    List<HeldWrite> writes = List.of(
        new HeldWrite.CallAdmitted(call, 7, UUID.randomUUID(), "+15550001111", "1700000000.1", "PJSIP/trunk-0001", AT),
        new HeldWrite.ConsentAnnounced(call, AT.plusNanos(500_000_000L)),
        new HeldWrite.AgentConnected(call, AT.plusSeconds(1)),
        new HeldWrite.AgentOutcome(call, "hangup", null, "end_call", AT.plusSeconds(2), 1, 240, "human",
            "[{\"role\":\"user\",\"text\":\"hi\"}]", new HeldWrite.Tokens(120, 4000, 0, 1000, 80, 2400)),
        new HeldWrite.CallEnded(call, "ANSWER", "16", "/rec/x.wav", AT.plusSeconds(9), true));
    try (Journal j = open(1_000_000)) {
      writes.forEach(w -> assertThat(j.hold(w)).isTrue());
      assertThat(j.holds(call)).isTrue();
    }
    try (Journal j = open(1_000_000)) {
      assertThat(j.writes()).isEqualTo(writes);
      assertThat(j.holds(call)).isTrue();
      while (j.oldest().isPresent()) {
        j.committed(j.oldest().get());
      }
      assertThat(j.holds(call)).isFalse();
      assertThat(j.bytes()).isZero();
    }
    assertThat(segments()).isEmpty();
    try (Journal j = open(1_000_000)) {
      assertThat(j.size()).isZero();
    }
  }

  @Test
  void aRecordCutShortByACrashIsIgnoredAndTheOnesBeforeItAreKept() throws IOException {
    UUID call = UUID.randomUUID();
    try (Journal j = open(1_000_000)) {
      j.hold(new HeldWrite.AgentConnected(call, AT));
    }
    Path segment = segments().get(0);
    byte[] whole = Files.readAllBytes(segment);
    // a second record whose header promises more than the node wrote before it died
    Files.write(segment, new byte[] {0, 0, 0, 100, 1, 2, 3, 4, '{', '"'}, StandardOpenOption.APPEND);
    try (Journal j = open(1_000_000)) {
      assertThat(j.writes()).containsExactly(new HeldWrite.AgentConnected(call, AT));
      // new writes go to a new segment: the torn one is never appended to
      j.hold(new HeldWrite.CallEnded(call, "ANSWER", null, null, AT, false));
      assertThat(segments()).hasSize(2);
      assertThat(Files.readAllBytes(segment)).hasSize(whole.length + 10);
    }
    // a record whose bytes do not match its checksum is as good as torn
    byte[] flipped = Files.readAllBytes(segment);
    flipped[flipped.length - 11] ^= 1;
    Files.write(segment, flipped);
    try (Journal j = open(1_000_000)) {
      assertThat(j.writes()).containsExactly(new HeldWrite.CallEnded(call, "ANSWER", null, null, AT, false));
    }
  }

  @Test
  void whenFullANewCallIsRefusedButTheCallsAlreadyHeldKeepTheirWrites() throws IOException {
    UUID held = UUID.randomUUID();
    UUID late = UUID.randomUUID();
    try (Journal j = open(1_000_000)) {
      String talk = "x".repeat(999_600);
      assertThat(j.hold(new HeldWrite.AgentOutcome(held, "hangup", null, "end_call", AT, 0, null, null,
          "[{\"role\":\"user\",\"text\":\"" + talk + "\"}]", null))).isTrue();
      assertThat(j.hold(new HeldWrite.CallAdmitted(late, 7, null, null, null, null, AT))).isFalse();
      assertThat(j.holds(late)).isFalse();
      assertThat(j.hold(new HeldWrite.CallEnded(held, "ANSWER", "16", null, AT, true))).isTrue();
      assertThat(j.bytes()).isGreaterThan(j.maxBytes());
    }
  }

  @Test
  void callsHeldTogetherShareFsyncsAndAllSurviveAReopen() throws Exception {
    int threads = 8;
    int perThread = 50;
    List<UUID> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Journal j = open(100_000_000)) {
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            UUID call = UUID.randomUUID();
            assertThat(j.hold(new HeldWrite.CallAdmitted(call, 7, null, "+15550001111", null, null, AT))).isTrue();
            assertThat(j.holds(call)).as("held once hold returns").isTrue();
            assertThat(j.hold(new HeldWrite.CallEnded(call, "ANSWER", "16", null, AT, false))).isTrue();
            calls.add(call);
          }
          return null;
        }));
      }
      for (var f : done) {
        f.get();
      }
      pool.shutdown();
      assertThat(j.size()).isEqualTo(2 * threads * perThread);
    }
    try (Journal j = open(100_000_000)) {
      List<HeldWrite> back = j.writes();
      assertThat(back).hasSize(2 * threads * perThread);
      for (UUID call : calls) {
        List<HeldWrite> mine = back.stream().filter(w -> w.callId().equals(call)).toList();
        assertThat(mine).as("a call's writes, in the order they were made").hasSize(2);
        assertThat(mine.get(0)).isInstanceOf(HeldWrite.CallAdmitted.class);
        assertThat(mine.get(1)).isInstanceOf(HeldWrite.CallEnded.class);
      }
    }
  }

  @Test
  void twoNodesCannotShareOneDataDirectory() {
    try (Journal j = open(1_000_000)) {
      assertThatThrownBy(() -> open(1_000_000)).hasMessageContaining("data.dir");
    }
  }

  private Journal open(long maxBytes) {
    return Journal.open(dir, maxBytes, Json.mapper());
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".journal")).sorted().toList();
    }
  }
}
