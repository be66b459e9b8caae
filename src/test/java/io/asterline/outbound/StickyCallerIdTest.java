package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A lead called again sees the number it saw before, through the outbound API and the real rotation. */
class StickyCallerIdTest {

  OutboundFixture f;
  List<UUID> pool = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    f = OutboundFixture.start();
    for (int i = 0; i < 4; i++) {
      pool.add(f.did("+1555000111" + i, "main", "TWILIO"));
    }
    f.awaitAmiUp();
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  /** Places a call to the lead (or none), lets it go unanswered, and answers the caller ID it was given. */
  private String callAndMiss(Long lead) throws Exception {
    HttpResponse<String> r = f.post("/api/outbound/call", f.token, "{\"business_id\":" + f.tenant
        + (lead == null ? "" : ",\"lead_id\":" + lead) + ",\"to_number\":\"+12125550199\",\"did_segment\":\"main\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    UUID id = UUID.fromString(f.read(r).path("call_id").asText());
    FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    f.ami.originateResponse(o, 3);
    OutboundFixture.await(() -> "failed".equals(f.dsl.select(CALL.STATE).from(CALL).where(CALL.ID.eq(id))
        .fetchOne(CALL.STATE)), "no answer stored");
    return f.read(r).path("caller_id").asText();
  }

  @Test
  void theSameLeadGetsTheSameCallerIdAcrossThreeRetriesWhileOtherCallsRotate() throws Exception {
    String first = callAndMiss(77L);
    Set<String> others = new HashSet<>();
    List<String> retries = new ArrayList<>();
    for (int retry = 0; retry < 3; retry++) {
      // calls to other leads in between move rotation on
      others.add(callAndMiss(null));
      others.add(callAndMiss(1000L + retry));
      retries.add(callAndMiss(77L));
    }
    assertThat(retries).containsOnly(first);
    assertThat(others).as("rotation itself still spreads").hasSizeGreaterThan(1);

    // once that number cannot be used (quarantined by number health), the lead moves to a healthy one, and stays
    f.dsl.update(DID).set(DID.QUARANTINED_UNTIL, OffsetDateTime.now().plusHours(1))
        .set(DID.QUARANTINED_AT, OffsetDateTime.now()).set(DID.QUARANTINE_REASON, "answer rate 0.0% (0 of 30 calls) below 10.0%")
        .where(DID.NUMBER.eq(first)).execute();
    String moved = callAndMiss(77L);
    assertThat(moved).isNotEqualTo(first);
    assertThat(callAndMiss(77L)).isEqualTo(moved);
  }
}
