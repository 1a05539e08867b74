import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import type { FaultState, Faults } from '@periscope/example-shop-kit';
import { FAULT_STATE } from './tokens.js';

/** `GET|POST /_faults`: the run-time fault switch the traffic generator uses. */
@Controller('_faults')
export class FaultsController {
  constructor(@Inject(FAULT_STATE) private readonly faults: FaultState) {}

  @Get()
  current(): Faults {
    return this.faults.current;
  }

  @Post()
  @HttpCode(200)
  set(@Body() body: unknown): Faults {
    try {
      return this.faults.set(body);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
  }
}
