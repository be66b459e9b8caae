package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The AMI link as Asterisk restarts, hangs or refuses the login: /health, 503s, reconnection, no secret in logs. */
class AmiConnectionTest {

  private static String call(OutboundFixture f) {
    return "{\"business_id\":" + f.tenant + ",\"lead_id\":7,\"to_number\":\"+12345678900\"}";
  }

  @Test
  void reconnectsAfterAsteriskDropsTheConnection() throws Exception {
    try (OutboundFixture f = OutboundFixture.start()) {
      f.did("+15550001111", "default", "TWILIO");
      f.awaitAmiUp();
      int logins = f.ami.logins();
      f.ami.dropConnections();
      OutboundFixture.await(() -> f.ami.logins() > logins, "a new login after the drop");
      f.awaitAmiUp();
      // asterisk-java's own reconnect loop was stopped: one connection, not two
      OutboundFixture.await(() -> f.ami.liveConnections() == 1, "exactly one live AMI connection");

      HttpResponse<String> r = f.post("/api/outbound/call", f.token, call(f));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      assertThat(f.read(r).path("state").asText()).isEqualTo("ringing");
      FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
      assertThat(o.get("ChannelId")).isEqualTo(f.read(r).path("call_id").asText());
      // the event comes back over the new connection and is still tracked
      f.ami.originateResponse(o, 5);
      UUID id = UUID.fromString(o.get("ChannelId"));
      OutboundFixture.await(() -> "busy".equals(f.dsl.select(CALL.OUTCOME).from(CALL).where(CALL.ID.eq(id))
          .fetchOne(CALL.OUTCOME)), "busy recorded");
    }
  }

  @Test
  void whileAsteriskIsDownCallsGet503AndNothingIsTakenThenItComesBack() throws Exception {
    try (OutboundFixture f = OutboundFixture.start()) {
      UUID did = f.did("+15550001111", "default", "TWILIO");
      f.awaitAmiUp();
      int port = f.ami.port();
      f.ami.stop();
      OutboundFixture.await(() -> f.amiState().equals("DOWN"), "AMI reported down");
      JsonNode health = f.health();
      assertThat(health.path("status").asText()).as("AMI is not critical").isEqualTo("UP");
      assertThat(health.path("parts").path("ami").path("detail").asText()).contains("127.0.0.1:" + port);

      HttpResponse<String> r = f.post("/api/outbound/call", f.token, call(f));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(f.read(r).path("error").asText()).contains("AMI");
      assertThat(f.usage(did)).as("no DID use counted").isZero();
      assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).as("no slot kept").isZero();
      assertThat(f.dsl.fetchCount(CALL)).as("no call stored").isZero();

      try (FakeAmi back = FakeAmi.start(OutboundFixture.AMI_USER, OutboundFixture.AMI_PASSWORD, port)) {
        f.awaitAmiUp();
        HttpResponse<String> again = f.post("/api/outbound/call", f.token, call(f));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
        assertThat(back.nextOriginate(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(f.usage(did)).isEqualTo(1);
      }
    }
  }

  @Test
  void anAsteriskThatStopsAnsweringIsFoundByPingAndReplaced() throws Exception {
    try (OutboundFixture f = OutboundFixture.start(java.util.Map.of("ami.ping-interval", "100ms",
        "ami.response-timeout", "300ms"), 10)) {
      f.awaitAmiUp();
      f.ami.mute(true);
      OutboundFixture.await(() -> f.amiState().equals("DOWN"), "unanswered ping noticed");
      assertThat(f.health().path("parts").path("ami").path("detail").asText()).isNotBlank();
      f.ami.mute(false);
      f.awaitAmiUp();
    }
  }

  @Test
  void theAmiPasswordNeverReachesALogNorHealth() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger asteriskJava = (Logger) LoggerFactory.getLogger("org.asteriskjava");
    Logger ours = (Logger) LoggerFactory.getLogger("io.asterline");
    Level before = asteriskJava.getLevel();
    Level oursBefore = ours.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    // everything asterisk-java and Asterline would log at their most talkative
    asteriskJava.setLevel(Level.TRACE);
    ours.setLevel(Level.TRACE);
    String wrong = "wrong-Pa55word-never-logged";
    try {
      try (OutboundFixture f = OutboundFixture.withAmiPassword(wrong)) {
        OutboundFixture.await(() -> f.ami.connectionsAccepted() >= 3, "retries after a refused login");
        assertThat(f.ami.logins()).isZero();
        JsonNode health = f.health();
        assertThat(health.path("parts").path("ami").path("state").asText()).isEqualTo("DOWN");
        assertThat(health.path("parts").path("ami").path("detail").asText()).contains("refused (check ASTERISK_AMI_USER")
            .doesNotContain(wrong);
      }
      try (OutboundFixture f = OutboundFixture.start()) {
        f.did("+15550001111", "default", "TWILIO");
        f.awaitAmiUp();
        assertThat(f.post("/api/outbound/call", f.token, call(f)).statusCode()).isEqualTo(202);
        f.ami.dropConnections();
        OutboundFixture.await(() -> f.ami.logins() >= 2, "reconnected");
        assertThat(f.health().toString()).doesNotContain(OutboundFixture.AMI_PASSWORD);
      }
    } finally {
      root.detachAppender(logs);
      asteriskJava.setLevel(before);
      ours.setLevel(oursBefore);
    }
    List<ILoggingEvent> events = List.copyOf(logs.list);
    assertThat(events).as("something was logged").isNotEmpty();
    for (ILoggingEvent e : events) {
      String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
          : ThrowableProxyUtil.asString(e.getThrowableProxy()));
      assertThat(text).doesNotContain(wrong).doesNotContain(OutboundFixture.AMI_PASSWORD);
    }
  }
}
