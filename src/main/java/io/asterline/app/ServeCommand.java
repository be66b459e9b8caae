package io.asterline.app;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start every configured part and run until SIGTERM or SIGINT.")
public final class ServeCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  private final Map<String, String> env;

  public ServeCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws InterruptedException {
    AsterlineConfig cfg = AsterlineConfig.from(config.settings(env));
    Asterline app = Asterline.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // the JVM waits for this hook: calls in progress get their chance to finish before the exit
      app.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}
