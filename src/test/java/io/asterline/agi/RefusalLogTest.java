package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RefusalLogTest {

  @Test
  void oneLinePerAddressAndReasonPerMinuteThenTheCountOfTheRest() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger("refusal-log-test");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    AtomicLong now = new AtomicLong();
    RefusalLog refusals = new RefusalLog(logger, "agi", now::get);
    InetAddress a = InetAddress.getByName("192.0.2.1");
    InetAddress b = InetAddress.getByName("192.0.2.2");

    for (int i = 0; i < 100; i++) {
      refusals.refused(a, "not in agi.allow");
    }
    refusals.refused(b, "not in agi.allow");
    refusals.refused(a, "over the limit");
    assertThat(lines.list).hasSize(3);

    now.addAndGet(TimeUnit.SECONDS.toNanos(61));
    refusals.refused(a, "not in agi.allow");
    assertThat(lines.list).hasSize(4);
    assertThat(lines.list.get(3).getFormattedMessage())
        .isEqualTo("agi: refused a connection from 192.0.2.1 (not in agi.allow); 99 more from it in the last minute "
            + "were not logged");
  }
}
