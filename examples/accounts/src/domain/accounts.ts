import { randomUUID } from 'node:crypto';
import type { Channel, Plan } from '@periscope/example-shop-kit';

/** A registered user. */
export interface User {
  id: string;
  email: string;
  plan: Plan;
  channel: Channel;
  createdAt: Date;
}

/** Where users are kept (in memory in the demo; a database in real life). */
export interface UserRepository {
  save(user: User): Promise<void>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
}

/** Who wants to know that someone signed up (product analytics, the user's identity for logs). */
export interface SignupNotifier {
  signedUp(user: User): void;
}

export class EmailTakenError extends Error {
  readonly statusCode = 409;
  constructor() {
    super('email already registered');
    this.name = 'EmailTakenError';
  }
}

/** Registration: plain domain code over two ports. */
export class AccountsService {
  constructor(
    private readonly users: UserRepository,
    private readonly notifier: SignupNotifier,
  ) {}

  async register(input: { email: string; plan: Plan; channel: Channel }): Promise<User> {
    if (await this.users.findByEmail(input.email)) throw new EmailTakenError();
    const user: User = { id: `u_${randomUUID().slice(0, 12)}`, ...input, createdAt: new Date() };
    await this.users.save(user);
    this.notifier.signedUp(user);
    return user;
  }

  find(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }
}
