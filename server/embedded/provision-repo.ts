// The SQL that makes a fresh private MariaDB usable: the platform's user (on first start, as
// root, which then keeps only its socket login) and the database.
// server/embedded imports nothing of the project (see eslint.config.js), so it names its one row
// type through mysql2's own generic rather than server/db/query.ts.
import type { RowDataPacket } from 'mysql2';
import type mysql from 'mysql2/promise';

export async function provisionServer(c: mysql.Connection, password: string): Promise<void> {
  const [rows] = await c.query<({ u: string } & RowDataPacket)[]>('SELECT CURRENT_USER() AS u');
  if (rows[0].u.startsWith('root@')) {
    await c.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', ['esl', '127.0.0.1', password]);
    // The test suite creates one database per test file, hence the global grant on this private server.
    await c.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', ['esl', '127.0.0.1']);
    await c.query("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket");
    await c.query("DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'");
  }
  await c.query('CREATE DATABASE IF NOT EXISTS esl CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
}
