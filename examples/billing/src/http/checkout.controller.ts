import { BadRequestException, Body, Controller, HttpCode, Inject, NotFoundException, Post, UseInterceptors } from '@nestjs/common';
import type { Plan } from '@periscope/example-shop-kit';
import { type CheckoutService, type Order, UnknownUserError } from '../domain/checkout.js';
import { FaultInterceptor } from './fault.interceptor.js';
import { CHECKOUT_SERVICE } from './tokens.js';

@Controller('checkouts')
@UseInterceptors(FaultInterceptor)
export class CheckoutController {
  constructor(@Inject(CHECKOUT_SERVICE) private readonly checkouts: CheckoutService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: { userId?: unknown; plan?: unknown }): Promise<Order> {
    if (typeof body?.userId !== 'string' || body.userId === '') throw new BadRequestException('userId is required');
    const plan: Plan = body.plan === 'pro' ? 'pro' : 'basic';
    try {
      return await this.checkouts.checkout(body.userId, plan);
    } catch (error) {
      if (error instanceof UnknownUserError) throw new NotFoundException(error.message);
      throw error;
    }
  }
}
