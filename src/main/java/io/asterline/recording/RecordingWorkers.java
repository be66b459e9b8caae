package io.asterline.recording;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's recording workers: named threads that claim due jobs from the shared queue and run them.
 * Idle workers look again every poll interval, or at once when this node enqueued a job. One of them
 * also runs the sweep now and then. Closing hands the jobs in progress back to the queue.
 */
public final class RecordingWorkers implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RecordingWorkers.class);
  /** A recorded call gets this long for its own call-end to enqueue it before the sweep does. */
  private static final Duration SWEEP_GRACE = Duration.ofMinutes(2);
  private static final Duration SWEEP_HORIZON = Duration.ofDays(7);

  private final RecordingConfig config;
  private final RecordingJobs jobs;
  private final RecordingProcessor processor;
  private final String node;
  private final List<Thread> threads = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final AtomicLong nextSweep = new AtomicLong();
  private long wakeUps;
  private volatile boolean closed;

  RecordingWorkers(RecordingConfig config, RecordingJobs jobs, RecordingProcessor processor, String node) {
    this.config = config;
    this.jobs = jobs;
    this.processor = processor;
    this.node = node;
  }

  /** A name for this process in lease owners: host and pid. */
  static String nodeName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown-host";
    }
    return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
  }

  RecordingWorkers start(int count) {
    for (int i = 1; i <= count; i++) {
      String name = "recording-worker-" + i;
      Thread t = new Thread(() -> loop(node + "/" + name), name);
      t.setUncaughtExceptionHandler((thread, e) ->
          log.error("{} died; its job is taken again when its lease ends", thread.getName(), e));
      threads.add(t);
      t.start();
    }
    if (count > 0) {
      log.info("recording: {} worker(s) started on {}", count, node);
    }
    return this;
  }

  /** A job was enqueued on this node: an idle worker takes it now rather than at its next poll. */
  public void wakeUp() {
    lock.lock();
    try {
      // one wake-up per worker is enough: each looks for work until the queue is empty
      wakeUps = Math.min(wakeUps + 1, threads.size());
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  private void loop(String owner) {
    while (!closed) {
      try {
        sweepWhenDue();
        Optional<RecordingJobs.Job> job = jobs.claim(owner, config.lease());
        if (job.isPresent()) {
          processor.process(job.get());
        } else {
          idle();
        }
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        if (closed) {
          break;
        }
        // the database is away, most likely: wait and try again, jobs are safe in it
        log.warn("recording worker: {}", e.toString());
        try {
          idle();
        } catch (InterruptedException stop) {
          break;
        }
      }
    }
  }

  private void idle() throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (wakeUps > 0) {
        wakeUps--;
        return;
      }
      work.await(config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
      if (wakeUps > 0) {
        wakeUps--;
      }
    } finally {
      lock.unlock();
    }
  }

  private void sweepWhenDue() {
    long now = System.nanoTime();
    long due = nextSweep.get();
    if ((due == 0 || now - due >= 0) && nextSweep.compareAndSet(due, now + config.sweepInterval().toNanos())) {
      int added = jobs.sweep(SWEEP_GRACE, SWEEP_HORIZON);
      if (added > 0) {
        log.warn("recording: enqueued {} recorded call(s) that call-end had not", added);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      work.signalAll();
    } finally {
      lock.unlock();
    }
    threads.forEach(Thread::interrupt);
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (t.isAlive()) {
        log.warn("{} did not stop in 10s", t.getName());
      }
    }
  }
}
