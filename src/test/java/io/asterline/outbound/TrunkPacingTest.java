package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Calls per second per trunk: calls beyond the rate wait their turn in order; none is lost or refused. */
class TrunkPacingTest {

  private static String call(OutboundFixture f, String segment, int n) {
    return "{\"business_id\":" + f.tenant + ",\"lead_id\":" + (n + 1) + ",\"to_number\":\"+1555000" + (1000 + n)
        + "\",\"did_segment\":\"" + segment + "\"}";
  }

  @Test
  void callsBeyondTheTrunkRateWaitInOrderAndAllLeave() throws Exception {
    // 5 calls per second on SLOW: one every 200 ms; FAST is not held up by SLOW's queue
    try (OutboundFixture f = OutboundFixture.start(Map.of("outbound.cps", "5", "outbound.trunk-cps", "FAST=1000",
        "outbound.accept-wait", "0ms"), 50)) {
      f.did("+15550001111", "slow", "SLOW");
      f.did("+15550002222", "fast", "FAST");
      f.awaitAmiUp();
      int n = 6;
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        HttpResponse<String> r = f.post("/api/outbound/call", f.token, call(f, "slow", i));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        ids.add(f.read(r).path("call_id").asText());
      }
      HttpResponse<String> fast = f.post("/api/outbound/call", f.token, call(f, "fast", 99));
      assertThat(fast.statusCode()).isEqualTo(202);
      String fastId = f.read(fast).path("call_id").asText();

      List<FakeAmi.Packet> slow = new ArrayList<>();
      FakeAmi.Packet fastPacket = null;
      while (slow.size() < n) {
        FakeAmi.Packet p = f.ami.nextOriginate(10, TimeUnit.SECONDS);
        assertThat(p).as("originate " + (slow.size() + 1) + " of " + n + " arrived").isNotNull();
        if (p.get("ChannelId").equals(fastId)) {
          fastPacket = p;
          assertThat(slow.size()).as("FAST went before SLOW's queue drained").isLessThan(n);
        } else {
          slow.add(p);
        }
      }
      assertThat(fastPacket).isNotNull();
      assertThat(slow).extracting(p -> p.get("ChannelId")).as("first in, first out").containsExactlyElementsOf(ids);
      // the sender keeps 200 ms between starts; the fake's receive times may jitter on a busy machine, so each
      // gap is held loosely and the whole span tightly (unpaced, all six would arrive within milliseconds)
      for (int i = 1; i < n; i++) {
        long gapMs = (slow.get(i).receivedNanos() - slow.get(i - 1).receivedNanos()) / 1_000_000;
        assertThat(gapMs).as("gap before call " + i).isGreaterThanOrEqualTo(120);
      }
      long spanMs = (slow.get(n - 1).receivedNanos() - slow.get(0).receivedNanos()) / 1_000_000;
      assertThat(spanMs).as("span of " + n + " calls at 5 per second").isGreaterThanOrEqualTo(950);
      assertThat(f.dsl.fetchCount(OUTBOUND_CALL, OUTBOUND_CALL.ORIGINATED_AT.isNotNull())).isEqualTo(n + 1);
      assertThat(f.dsl.fetchCount(CALL, CALL.STATE.eq("failed"))).isZero();
    }
  }

  @Test
  void waitingCallsRideOutAnAsteriskRestartInsteadOfFailing() throws Exception {
    // one call every 4 s: ample room for the loss to be noticed before the second call's turn, which must then
    // come while Asterisk is away
    try (OutboundFixture f = OutboundFixture.start(Map.of("outbound.cps", "0.25", "outbound.accept-wait", "0ms"), 10)) {
      f.did("+15550001111", "default", "SLOW");
      f.awaitAmiUp();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        ids.add(f.read(f.post("/api/outbound/call", f.token, call(f, "default", i))).path("call_id").asText());
      }
      FakeAmi.Packet first = f.ami.nextOriginate(5, TimeUnit.SECONDS);
      assertThat(first.get("ChannelId")).isEqualTo(ids.get(0));
      int port = f.ami.port();
      f.ami.stop();
      OutboundFixture.await(() -> f.amiState().equals("DOWN"), "AMI down");
      assertThat(System.nanoTime() - first.receivedNanos()).as("the loss was noticed before the second call's turn")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(4000));
      // wall time must pass for the second call's turn to come while Asterisk is away
      OutboundFixture.await(() -> System.nanoTime() - first.receivedNanos() > TimeUnit.MILLISECONDS.toNanos(4500),
          "the second call's turn passed");
      assertThat(f.outbound.service().waiting("SLOW")).as("still waiting, not failed").isEqualTo(2);
      try (FakeAmi back = FakeAmi.start(OutboundFixture.AMI_USER, OutboundFixture.AMI_PASSWORD, port)) {
        assertThat(back.nextOriginate(10, TimeUnit.SECONDS).get("ChannelId")).isEqualTo(ids.get(1));
        assertThat(back.nextOriginate(10, TimeUnit.SECONDS).get("ChannelId")).isEqualTo(ids.get(2));
      }
      assertThat(f.dsl.fetchCount(CALL, CALL.STATE.eq("failed"))).isZero();
    }
  }

  @Test
  void callsStillWaitingAtShutdownAreFailedAndGiveEverythingBack() throws Exception {
    OutboundFixture f = OutboundFixture.start(Map.of("outbound.cps", "0.1", "outbound.accept-wait", "0ms"), 10);
    UUID did;
    List<UUID> ids = new ArrayList<>();
    try {
      did = f.did("+15550001111", "default", "SLOW");
      f.awaitAmiUp();
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = f.post("/api/outbound/call", f.token, call(f, "default", i));
        ids.add(UUID.fromString(f.read(r).path("call_id").asText()));
      }
      assertThat(f.ami.nextOriginate(5, TimeUnit.SECONDS).get("ChannelId")).isEqualTo(ids.get(0).toString());
      OutboundFixture.await(() -> f.outbound.service().waiting("SLOW") == 2, "two calls waiting");
    } finally {
      f.http.close();
      f.outbound.close();
    }
    try {
      for (UUID id : ids.subList(1, 3)) {
        var row = f.dsl.selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
        assertThat(row.getState()).isEqualTo("failed");
        assertThat(row.getOutcome()).isEqualTo("shutdown");
        assertThat(f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id))).isFalse();
      }
      assertThat(f.usage(did)).as("only the call that left counts").isEqualTo(1);
      assertThat(f.ami.originatesWaiting()).isZero();
    } finally {
      f.close();
    }
  }
}
