import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { REPO_ROOT, tempDir } from './processes.js';
import { waitFor } from './wait.js';

// Debian's pebble as the tests' ACME CA, with pebble-challtestsrv as its DNS server
// (every name resolves to 127.0.0.1). Pebble listens on the Docker bridge gateway, so the
// proxy container can reach it; it validates challenges on 127.0.0.1 at the proxy's
// published host ports. Both are child processes of the test, stopped by their PIDs.

const execFileAsync = promisify(execFile);
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts', 'logs');

export interface Pebble {
  /** `https://<gateway>:<port>/dir`, for BERTH_ACME_CA. */
  directoryUrl: string;
  /** The PEM file of the CA that signed pebble's own listener certificate, for BERTH_ACME_CA_ROOT. */
  caRootPath: string;
  /** The root that signs the certificates pebble issues (a new one on every pebble start). */
  issuingRootPem(): Promise<string>;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** The host port validations go to for HTTP-01: the proxy's published HTTP port. */
  httpPort: number;
  /** The host port validations go to for TLS-ALPN-01: the proxy's published HTTPS port. */
  tlsPort: number;
}

const bridgeSchema = z
  .array(
    z.object({
      IPAM: z.object({
        Config: z.array(z.object({ Gateway: z.ipv4().optional() })),
      }),
      Options: z.record(z.string(), z.string()).optional(),
    }),
  )
  .length(1);

const addressesSchema = z.array(z.object({ addr_info: z.array(z.object({ local: z.ipv4() })) }));

/** The first IPv4 address of a network interface, or undefined. */
async function interfaceAddress(name: string): Promise<string | undefined> {
  const { stdout } = await execFileAsync('ip', ['-j', '-4', 'addr', 'show', 'dev', name]).catch(
    () => ({ stdout: '[]' }),
  );
  const parsed = addressesSchema.safeParse(JSON.parse(stdout));
  return parsed.success ? parsed.data[0]?.addr_info[0]?.local : undefined;
}

/** The IPv4 gateway of Docker's default bridge (docker0), where containers reach the host. */
export async function bridgeGateway(): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['network', 'inspect', 'bridge']);
  const parsed = bridgeSchema.safeParse(JSON.parse(stdout));
  const network = parsed.success ? parsed.data[0]! : undefined;
  // An engine that found docker0 already addressed names only the subnet: the gateway is then
  // the bridge interface's own address (read with `ip`: Node lists no interface without carrier).
  const bridge = network?.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
  const gateway =
    network?.IPAM.Config.find((c) => c.Gateway)?.Gateway ?? (await interfaceAddress(bridge));
  if (!gateway) throw new Error(`docker network inspect bridge names no IPv4 gateway: ${stdout}`);
  return gateway;
}

/** A TCP port the kernel says is free on `host`. */
export async function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`could not read the port chosen on ${host}`));
      });
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const detail = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${detail.stderr || detail.message}`);
  }
}

/** A CA, and a server certificate it signs for the IP address, in `dir`. */
async function makeCertificates(dir: string, ip: string): Promise<void> {
  const days = ['-days', '7'];
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      ...days,
      '-subj',
      '/CN=berth test pebble listener CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      ...days,
      '-subj',
      `/CN=${ip}`,
      '-addext',
      `subjectAltName=IP:${ip},IP:127.0.0.1,DNS:localhost`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
    dir,
  );
}

/** GETs an https URL trusting only `ca`, and returns the status and body. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

interface Child {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function startChild(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string>,
): Child {
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, `${name}-${Date.now()}.log`));
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => collect(Buffer.from(`${file}: ${err.message}\n`)));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // this child only, by its PID
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** Starts pebble-challtestsrv and pebble; call `stop()` in afterAll. */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = tempDir('pebble');
  const gateway = await bridgeGateway();
  await makeCertificates(dir, gateway);
  const [listenPort, managementPort] = [await freePortOn(gateway), await freePortOn(gateway)];
  const dnsPort = await freePortOn('127.0.0.1');
  const dnsManagementPort = await freePortOn('127.0.0.1');
  const config = {
    pebble: {
      listenAddress: `${gateway}:${listenPort}`,
      managementListenAddress: `${gateway}:${managementPort}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort: options.httpPort,
      tlsPort: options.tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  };
  writeFileSync(join(dir, 'pebble-config.json'), JSON.stringify(config, null, 2));
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');

  const dns = startChild(
    'pebble-challtestsrv',
    'pebble-challtestsrv',
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsManagementPort}`,
    ],
    {},
  );
  const pebble = startChild(
    'pebble',
    'pebble',
    ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `127.0.0.1:${dnsPort}`],
    // No validation sleeps, and no deliberately rejected nonces: the tests want speed.
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  );
  const stop = async () => {
    await pebble.stop();
    await dns.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const directoryUrl = `https://${gateway}:${listenPort}/dir`;
  try {
    await waitFor(`pebble's directory at ${directoryUrl}`, async () => {
      for (const child of [dns, pebble]) {
        if (child.process.exitCode !== null) throw new Error(`exited:\n${child.output()}`);
      }
      return (await httpsGet(directoryUrl, caPem)).status === 200;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    directoryUrl,
    caRootPath: join(dir, 'ca.pem'),
    async issuingRootPem() {
      const res = await httpsGet(`https://${gateway}:${managementPort}/roots/0`, caPem);
      if (res.status !== 200)
        throw new Error(`pebble /roots/0 answered ${res.status}: ${res.body}`);
      return res.body;
    },
    stop,
  };
}
