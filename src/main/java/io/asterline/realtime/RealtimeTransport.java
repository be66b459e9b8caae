package io.asterline.realtime;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * What every Realtime WebSocket of a node shares: the TLS client context (JDK provider, the JDK's trusted CAs,
 * SNI and host name verification) and the threads that look host names up. A DNS lookup blocks, so it never
 * runs on an event loop that paces calls' audio. Closed with the AudioSocket server.
 */
public final class RealtimeTransport implements AutoCloseable {

  private final SslContext tls;
  final ExecutorService resolver;

  private RealtimeTransport(X509Certificate[] trusted) {
    SslContextBuilder builder = SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK)
        .endpointIdentificationAlgorithm("HTTPS");
    if (trusted != null) {
      builder.trustManager(trusted);
    }
    try {
      tls = builder.build();
    } catch (SSLException e) {
      throw new IllegalStateException("realtime: cannot set up TLS: " + e.getMessage(), e);
    }
    ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("realtime-resolve", true));
    pool.allowCoreThreadTimeOut(true);
    resolver = pool;
  }

  /** Trusts the JDK's certificate authorities, as for {@code wss://api.openai.com}. */
  public static RealtimeTransport create() {
    return new RealtimeTransport(null);
  }

  /** Trusts only these certificates: a local TLS server in tests, or a private gateway in front of OpenAI. */
  public static RealtimeTransport trusting(X509Certificate... certificates) {
    return new RealtimeTransport(certificates.clone());
  }

  /** TLS towards {@code host}: it is sent as SNI and the certificate must name it. */
  SslHandler tls(ByteBufAllocator alloc, String host, int port) {
    return tls.newHandler(alloc, host, port);
  }

  @Override
  public void close() {
    resolver.shutdownNow();
  }
}
