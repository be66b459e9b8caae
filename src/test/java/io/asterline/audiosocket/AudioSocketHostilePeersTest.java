package io.asterline.audiosocket;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AudioSocket has no authentication: the call id in the first frame is its only secret. Whoever else learns it
 * must not get a second session on a live call, and a connection from outside audiosocket.allow must not even
 * get to name one. Real sockets, the real server, a real PostgreSQL and a local Realtime server.
 */
class AudioSocketHostilePeersTest {

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestAudioSocketServer server;
  /** A second node on the same database. */
  static TestAudioSocketServer otherNode;
  static EventLoopGroup asterisk;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    // two nodes on one database: the second shows a call id copied to another node is refused too
    server = TestAudioSocketServer.start(db, fake.url(), Map.of("audiosocket.allow", "127.0.0.1/32"));
    otherNode = TestAudioSocketServer.start(db, fake.url(), Map.of("audiosocket.allow", "127.0.0.1/32"));
    asterisk = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    otherNode.close();
    fake.close();
    asterisk.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    db.close();
  }

  @Test
  void aSecondLegForALiveCallIsRefusedAndTheFirstKeepsTalking() throws Exception {
    UUID call = call();
    RecordingListener first = new RecordingListener();
    AsteriskAudioSocketClient leg = connect(call, first);
    RecordingListener.await("the first leg's agent audio", 5000, () -> first.agentFrames() > 5);
    int sessions = fake.sessions.size();

    RecordingListener second = new RecordingListener();
    AsteriskAudioSocketClient intruder = connect(call, second);

    assertThat(intruder.awaitClosed(5000)).as("the second leg is ended").isTrue();
    assertThat(second.hangupNanos).as("with a hangup frame").isNotZero();
    assertThat(second.agentFrames()).as("and hears no agent").isZero();
    int before = first.snapshot().size();
    Thread.sleep(300);
    assertThat(fake.sessions).as("no second Realtime session").hasSize(sessions);
    assertThat(leg.isOpen()).isTrue();
    assertThat(first.snapshot().size()).as("the first leg still gets frames").isGreaterThan(before + 5);
    assertThat(first.hangupNanos).isZero();

    // once the first leg has gone the call has had its agent: the row refuses any later leg
    leg.hangUp();
    assertThat(leg.awaitClosed(3000)).isTrue();
  }

  /** The call id copied to another node of the cluster: the database knows the call already has its leg. */
  @Test
  void aSecondLegOnAnotherNodeIsRefusedToo() throws Exception {
    UUID call = call();
    RecordingListener first = new RecordingListener();
    AsteriskAudioSocketClient leg = connect(call, first);
    RecordingListener.await("the first leg's agent audio", 5000, () -> first.agentFrames() > 5);
    int sessions = fake.sessions.size();

    RecordingListener second = new RecordingListener();
    AsteriskAudioSocketClient intruder = AsteriskAudioSocketClient.connect(asterisk,
        new InetSocketAddress("127.0.0.1", otherNode.port()), call, AsteriskAudioSocketClient.SILENCE, second);

    assertThat(intruder.awaitClosed(5000)).as("the leg on the other node is ended").isTrue();
    assertThat(second.hangupNanos).as("with a hangup frame").isNotZero();
    assertThat(second.agentFrames()).as("and hears no agent").isZero();
    Thread.sleep(300);
    assertThat(fake.sessions).as("no second Realtime session").hasSize(sessions);
    assertThat(leg.isOpen()).as("the first leg keeps talking").isTrue();
    leg.hangUp();
    assertThat(leg.awaitClosed(3000)).isTrue();
  }

  @Test
  void aConnectionFromOutsideTheAllowListIsClosedBeforeAnyFrameIsRead() throws Exception {
    UUID call = call();
    int sessions = fake.sessions.size();
    long refused = server.refusedConnections();
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress("127.0.0.2", 0));
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
      s.setSoTimeout(5000);
      byte[] uuid = new byte[19];
      uuid[0] = 0x01;
      uuid[2] = 16;
      ByteBuffer.wrap(uuid, 3, 16).putLong(call.getMostSignificantBits()).putLong(call.getLeastSignificantBits());
      try {
        s.getOutputStream().write(uuid);
      } catch (SocketException closedAlready) {
        // refused before the write: what we want
      }
      assertThat(readAll(s.getInputStream())).as("not a single frame back").isZero();
    }
    assertThat(server.refusedConnections()).isEqualTo(refused + 1);
    Thread.sleep(200);
    assertThat(fake.sessions).hasSize(sessions);
    assertThat(db.dsl().fetchOne(CALL, CALL.ID.eq(call)).getState()).as("the call was not touched")
        .isEqualTo("answered");
  }

  private static int readAll(InputStream in) throws Exception {
    int n = 0;
    try {
      while (in.read() >= 0) {
        n++;
      }
    } catch (SocketException reset) {
      // closed
    }
    return n;
  }

  private static AsteriskAudioSocketClient connect(UUID call, RecordingListener heard) throws InterruptedException {
    return AsteriskAudioSocketClient.connect(asterisk, new InetSocketAddress("127.0.0.1", server.port()), call,
        AsteriskAudioSocketClient.SILENCE, heard);
  }

  private static UUID call() {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    t.store();
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(t.getId());
    c.setDirection("inbound");
    c.setState("answered");
    c.store();
    return c.getId();
  }
}
