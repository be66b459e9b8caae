package io.asterline.agent;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.SUPPRESSION;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.audiosocket.TestAudioSocketServer;
import io.asterline.compliance.ComplianceRepository;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.SuppressionRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent's opt_out tool on a live call (AudioSocket in, the Realtime test server as the model): the callee's
 * number is on the tenant's do-not-call list at once, and nothing done at the same time or after undoes it.
 */
class OptOutToolTest {

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestAudioSocketServer server;
  static EventLoopGroup asterisk;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    server = TestAudioSocketServer.start(db, fake.url(), Map.of("secrets.key", AgentCallTest.SECRETS_KEY));
    asterisk = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    fake.close();
    asterisk.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    db.close();
  }

  @Test
  void optOutSuppressesTheCalleeAndAConcurrentDispositionDoesNotUndoIt() throws Exception {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    t.store();
    long tenant = t.getId();
    String callee = "+12125558888";
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection("outbound");
    c.setState("answered");
    c.setRemoteNumber(callee);
    c.store();
    UUID call = c.getId();
    ComplianceRepository list = new ComplianceRepository(db.dsl());

    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
        new InetSocketAddress("127.0.0.1", server.port()), call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    JsonNode update = s.await("session.update", 3000);
    assertThat(update.path("session").path("tools").findValuesAsText("name")).contains("opt_out");
    s.await("response.create", 3000);

    // the tenant's list maintenance running at the same moment: removing the number and importing it again
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger rounds = new AtomicInteger();
    Thread maintenance = new Thread(() -> {
      while (!stop.get()) {
        list.remove(tenant, callee, false);
        list.add(tenant, List.of(callee), "csv", null);
        rounds.incrementAndGet();
      }
    }, "test-list-maintenance");
    maintenance.start();
    try {
      RecordingListener.await("list maintenance running", 3000, () -> rounds.get() > 5);
      s.callFunction("opt_out", "{\"reason\":\"please stop calling me\"}");
      JsonNode output = s.await("conversation.item.create", 3000);
      assertThat(output.at("/item/type").asText()).isEqualTo("function_call_output");
      assertThat(output.at("/item/output").asText()).contains("\"ok\":true").contains(callee);
      int after = rounds.get();
      RecordingListener.await("more maintenance after the opt-out", 3000, () -> rounds.get() > after + 5);
    } finally {
      stop.set(true);
      maintenance.join(5000);
    }
    // the model is asked to confirm it to the callee
    RecordingListener.await("a response after the tool", 2000, () -> s.events("response.create").size() >= 2);
    assertThat(client.isOpen()).isTrue();

    // the call ends; its disposition is written and the entry stays
    s.callFunction("end_call", "{\"reason\":\"opted out\"}");
    assertThat(client.awaitClosed(4000)).isTrue();
    RecordingListener.await("the disposition stored", 3000, () -> "hangup".equals(
        db.dsl().fetchOne(CALL, CALL.ID.eq(call)).getAgentDecision()));
    SuppressionRecord entry = db.dsl().fetchOne(SUPPRESSION,
        SUPPRESSION.TENANT_ID.eq(tenant).and(SUPPRESSION.NUMBER.eq(callee)));
    assertThat(entry).isNotNull();
    assertThat(entry.getSource()).isEqualTo("opt_out");
    assertThat(entry.getCallId()).isEqualTo(call);
    assertThat(list.remove(tenant, callee, false)).isEqualTo(ComplianceRepository.Removal.OPT_OUT_KEPT);
  }

  @Test
  void anInboundCallerWithAWithheldNumberIsToldItCannotBeListed() throws Exception {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    t.store();
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(t.getId());
    c.setDirection("inbound");
    c.setState("answered");
    c.setRemoteNumber("anonymous");
    c.store();
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
        new InetSocketAddress("127.0.0.1", server.port()), c.getId(), AsteriskAudioSocketClient.SILENCE,
        new RecordingListener());
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    s.callFunction("opt_out", "{}");
    JsonNode output = s.await("conversation.item.create", 3000);
    assertThat(output.at("/item/output").asText()).contains("\"ok\":false").contains("withheld");
    assertThat(db.dsl().fetchCount(SUPPRESSION, SUPPRESSION.TENANT_ID.eq(t.getId()))).isZero();
    s.callFunction("end_call", "{}");
    assertThat(client.awaitClosed(4000)).isTrue();
  }
}
