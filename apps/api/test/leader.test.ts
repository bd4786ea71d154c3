import { describeWith, it } from "@grove/testkit";
import pino from "pino";
import postgres from "postgres";
import { expect } from "vitest";
import { LEADER_LOCK_KEY, startLeaderElection } from "../src/leader/lock";
import { eventually } from "./harness";

const log = pino({ level: process.env.DEBUG_LEADER ? "debug" : "silent" });

describeWith(["root", "postgres"], "leader lock", () => {
  it("lets exactly one of two replicas lead, and hands over when the leader stops", async ({ pg }) => {
    const url = await pg.createDatabase("leader_lock");
    const events: string[] = [];
    const hooks = (name: string) => ({
      onAcquire: () => void events.push(`${name}+`),
      onLose: () => void events.push(`${name}-`),
    });
    const a = startLeaderElection(url, hooks("a"), log, { checkMs: 50 });
    await eventually(async () => (a.isLeader() ? true : undefined));
    const b = startLeaderElection(url, hooks("b"), log, { checkMs: 50 });
    try {
      // b keeps trying while a holds the lock; it must not lead
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(b.isLeader()).toBe(false);
      }
      await a.stop();
      await eventually(async () => (b.isLeader() ? true : undefined));
      expect(events).toEqual(["a+", "a-", "b+"]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("steps down when its lock connection dies, after which exactly one replica leads", async ({ pg }) => {
    const url = await pg.createDatabase("leader_kill");
    const lost: string[] = [];
    const hooks = (name: string) => ({ onAcquire: () => {}, onLose: () => void lost.push(name) });
    const a = startLeaderElection(url, hooks("a"), log, { checkMs: 50 });
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await eventually(async () => (a.isLeader() ? true : undefined));
      const b = startLeaderElection(url, hooks("b"), log, { checkMs: 50 });
      try {
        await admin`select pg_terminate_backend(pid) from pg_locks
          where locktype = 'advisory' and objid = ${LEADER_LOCK_KEY} and granted`;
        await eventually(async () => (lost.includes("a") ? true : undefined));
        await eventually(async () => (a.isLeader() !== b.isLeader() ? true : undefined));
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
      await admin.end();
    }
  });
});
