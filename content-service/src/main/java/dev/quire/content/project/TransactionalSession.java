package dev.quire.content.project;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One read-model transaction for Pekko Projection: the handler's writes and the projection offset
 * commit together. Actions registered with {@link #afterCommit} run only once the commit succeeded,
 * so subscribers are never told of a change they cannot read yet.
 */
public final class TransactionalSession implements JdbcSession {

  private final Connection connection;
  private final List<Runnable> afterCommit = new ArrayList<>();

  public TransactionalSession(DataSource dataSource) {
    Connection c = null;
    try {
      c = dataSource.getConnection();
      c.setAutoCommit(false);
    } catch (SQLException e) {
      // Given back: nothing else closes a session that was never made, and each connection kept
      // was one fewer in the pool until a restart.
      if (c != null) {
        try {
          c.close();
        } catch (SQLException alsoFailed) {
          e.addSuppressed(alsoFailed);
        }
      }
      throw new IllegalStateException("cannot open a read-model connection: " + e.getMessage(), e);
    }
    this.connection = c;
  }

  @Override
  public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
    return func.apply(connection);
  }

  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
    for (Runnable r : afterCommit) {
      r.run();
    }
    afterCommit.clear();
  }

  @Override
  public void rollback() throws SQLException {
    afterCommit.clear();
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
