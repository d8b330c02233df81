package dev.quire.content.journal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;

/**
 * Run in a child JVM by {@link H2CrashRecoveryTest}: opens the embedded database at the URL it is
 * given and, as a quiet site with the odd edit does, every {@code pause} milliseconds commits one
 * journal row and the read-model and offset rows that follow it and prints {@code ACK <key>},
 * reading in between, until it is killed.
 */
public final class H2CrashWriter {

  private H2CrashWriter() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String prefix = args[1];
    long pause = Long.parseLong(args[2]);
    try (Connection c = DriverManager.getConnection(url, "quire", "");
        PreparedStatement q = c.prepareStatement("select count(*) from journal")) {
      c.setAutoCommit(false);
      for (int n = 0; ; n++) {
        commit(c, prefix + "-" + n);
        long until = System.nanoTime() + pause * 1_000_000;
        while (System.nanoTime() < until) {
          q.executeQuery().close();
          Thread.sleep(100);
        }
      }
    }
  }

  private static void commit(Connection c, String key) throws Exception {
    {
      try (PreparedStatement j =
          c.prepareStatement("insert into journal(pid, seq, payload) values (?, ?, ?)")) {
        j.setString(1, key);
        j.setLong(2, 1);
        j.setBytes(3, new byte[H2CrashRecoveryTest.EVENT_BYTES]);
        j.executeUpdate();
      }
      c.commit();
      try (PreparedStatement m = c.prepareStatement("merge into read_model key(id) values (?, ?)");
          PreparedStatement o = c.prepareStatement("merge into offsets key(name) values (?, ?)")) {
        m.setString(1, key);
        m.setString(2, "<p>" + key + "</p>");
        m.executeUpdate();
        o.setString(1, "content");
        o.setLong(2, System.nanoTime());
        o.executeUpdate();
      }
      c.commit();
      System.out.println("ACK " + key);
      System.out.flush();
    }
  }
}
