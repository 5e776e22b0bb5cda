import mysql from 'mysql2/promise';

export type Pool = mysql.Pool;
export type Conn = mysql.PoolConnection;
/** Anything that runs a query: the pool or a connection inside a transaction. */
export type Queryable = Pick<mysql.Pool, 'query' | 'execute'>;

export function createPool(url: string, connectionLimit = 20): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit,
    waitForConnections: true,
    // Keep DATETIME(3) values as UTC JS Dates, whatever the server's zone.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    enableKeepAlive: true,
  });
}

/** Runs fn in one transaction; commits on success, rolls back on any error. */
export async function withTx<T>(pool: Pool, fn: (conn: Conn) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const out = await fn(conn);
    await conn.commit();
    return out;
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}
