/** Base class of the scheduler's errors. */
export class SchedulerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The snapshot itself is unusable (for example, two cells share an id). */
export class InvalidSnapshot extends SchedulerError {}
