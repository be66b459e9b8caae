package io.asterline.twiliomedia;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.audiosocket.RecordingListener;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.twilio.TwilioMediaStream;
import io.asterline.twilio.TwilioStandIn;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping the service ends a Twilio call through its fallback: the call control is told, nobody is left in silence. */
class TwilioMediaShutdownTest {

  @Test
  void theStopEndsLiveStreamsThroughTheirFallbackAndTellsTheCallControl() throws Exception {
    EventLoopGroup twilio = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-twilio"),
        NioIoHandler.newFactory());
    try (TestDatabase.Db db = TestDatabase.fresh(); FakeRealtimeServer fake = new FakeRealtimeServer()) {
      RecordedStreamControl control = new RecordedStreamControl();
      TestTwilioMedia server = TestTwilioMedia.start(db, fake.url(), Files.createTempDirectory("twilio-rec"), control,
          1);
      TenantRecord t = db.dsl().newRecord(TENANT);
      t.setName("tenant-" + UUID.randomUUID());
      t.setRecordingEnabled(false);
      t.store();
      CallRecord c = db.dsl().newRecord(CALL);
      c.setId(UUID.randomUUID());
      c.setTenantId(t.getId());
      c.setDirection("inbound");
      c.setState("answered");
      c.setProvider("twilio");
      String sid = TwilioMediaStream.newCallSid();
      c.setProviderCallSid(sid);
      c.store();
      TwilioMediaStream stream = TwilioMediaStream.connect(twilio, new InetSocketAddress("127.0.0.1", server.port()),
          "/twilio/stream", TestTwilioMedia.STREAM_URL, TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid,
          Map.of("callId", c.getId().toString()));
      fake.awaitSession(0, 3000).await("response.create", 3000);
      assertThat(server.media.activeCalls()).isEqualTo(1);

      server.close();
      assertThat(control.agentDoneOf(c.getId())).as("the call went on to its fallback TwiML").hasSize(1);
      assertThat(stream.closed.get(3, TimeUnit.SECONDS)).isNotNull();
      RecordingListener.await("streamEnded", 3000, () -> !control.endedOf(c.getId()).isEmpty());
      assertThat(control.endedOf(c.getId()).get(0).afterAgentDone()).isTrue();
      assertThat(db.dsl().fetchOne(CALL, CALL.ID.eq(c.getId())).getAgentEndReason()).isEqualTo("shutdown");
    } finally {
      twilio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
