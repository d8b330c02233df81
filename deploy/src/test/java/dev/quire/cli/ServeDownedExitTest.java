package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node the cluster downs (as the split-brain resolver does after a long pause) exits non-zero, so
 * that a supervisor starts it again: systemd's {@code Restart=on-failure} ignores an exit of 0,
 * which is what it was. The node is downed through Pekko's own JMX bean, as an operator could; a
 * real partition cannot be made on loopback.
 */
class ServeDownedExitTest {

  @Test
  void aNodeTheClusterDownsExitsWithOne(@TempDir Path tmp) throws Exception {
    int port = EmbeddingRoleClusterTest.freePort();
    int jmx = EmbeddingRoleClusterTest.freePort();
    Path log = tmp.resolve("serve.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                TestJvm.command(
                    "256m",
                    List.of(
                        "-Dcom.sun.management.jmxremote.port=" + jmx,
                        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                        "-Dcom.sun.management.jmxremote.authenticate=false",
                        "-Dcom.sun.management.jmxremote.ssl=false"),
                    Main.class,
                    List.of(
                        "serve",
                        "--port",
                        String.valueOf(port),
                        "--data",
                        tmp.resolve("data").toString())))
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("QUIRE_EMBEDDING_ENABLED", "false");
    pb.environment().put("QUIRE_API_TOKEN", "downed-test-token-0123456789");
    Process serve = pb.start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        assertThat(serve.isAlive()).as("serve exited early: " + Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("never served").isLessThan(deadline);
        try {
          HttpResponse<Void> r =
              http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            break;
          }
        } catch (java.io.IOException notYet) {
          // not listening yet
        }
        Thread.sleep(200);
      }
      Matcher node = Pattern.compile("Node ([0-9.]+):(\\d+) runs").matcher(Files.readString(log));
      assertThat(node.find()).isTrue();
      String address = "pekko://quire@" + node.group(1) + ":" + node.group(2);
      try (JMXConnector c =
          JMXConnectorFactory.connect(
              new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmx + "/jmxrmi"))) {
        MBeanServerConnection beans = c.getMBeanServerConnection();
        ObjectName cluster =
            beans.queryNames(new ObjectName("pekko:type=Cluster,*"), null).iterator().next();
        beans.invoke(cluster, "down", new Object[] {address}, new String[] {"java.lang.String"});
      }
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).as("stopped once downed").isTrue();
      assertThat(serve.exitValue()).as(Files.readString(log)).isEqualTo(1);
      assertThat(Files.readString(log)).contains("the node stopped without being asked to");
    } finally {
      serve.destroyForcibly();
      serve.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
