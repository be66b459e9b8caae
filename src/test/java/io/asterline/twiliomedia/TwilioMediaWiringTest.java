package io.asterline.twiliomedia;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.twilio.TwilioMediaStream;
import io.asterline.twilio.TwilioStandIn;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service starts the Media Streams server when Twilio calls can run, and only then. */
class TwilioMediaWiringTest {

  @TempDir
  Path dir;

  @Test
  void withTwilioConfiguredTheServiceServesSignedStreamsAndWithoutItNoPortIsOpened() throws Exception {
    EventLoopGroup twilio = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-twilio"),
        NioIoHandler.newFactory());
    try (TestDatabase.Db db = TestDatabase.fresh(4)) {
      Map<String, String> twilioKeys = Map.of("twilio.account-sid", TwilioStandIn.ACCOUNT_SID,
          "twilio.auth-token", TwilioStandIn.AUTH_TOKEN, "twilio.webhook-base-url", "https://asterline.example.com",
          "twilio.media.port", "0", "twilio.media.bind", "127.0.0.1");
      try (Asterline app = Asterline.start(config(db, twilioKeys))) {
        assertThat(app.twilioMediaPort()).isPresent();
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", app.twilioMediaPort().get());
        String sid = TwilioMediaStream.newCallSid();
        TwilioMediaStream forged = TwilioMediaStream.connect(twilio, at, "/twilio/stream",
            TestTwilioMedia.STREAM_URL, "guess", null, TwilioStandIn.ACCOUNT_SID, sid, Map.of());
        assertThat(forged.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(403);
        // signed over the stream URL the webhook base implies; the call is unknown, so the stream is closed
        TwilioMediaStream signed = TwilioMediaStream.connect(twilio, at, "/twilio/stream",
            TestTwilioMedia.STREAM_URL, TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid,
            Map.of("callId", UUID.randomUUID().toString()));
        assertThat(signed.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);
        assertThat(signed.closed.get(3, TimeUnit.SECONDS)).isEqualTo("close 1008");
      }
      try (Asterline app = Asterline.start(config(db, Map.of()))) {
        assertThat(app.twilioMediaPort()).isEmpty();
      }
    } finally {
      twilio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private AsterlineConfig config(TestDatabase.Db db, Map<String, String> extra) {
    Map<String, String> o = new HashMap<>();
    o.put("database.url", db.jdbcUrl());
    o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
    o.put("database.user", "postgres");
    o.put("http.port", "0");
    o.put("agi.port", "0");
    o.put("audiosocket.port", "0");
    o.put("audiosocket.io-threads", "1");
    o.put("mediaws.port", "0");
    o.put("recordings.dir", dir.toString());
    o.putAll(extra);
    return AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o));
  }
}
