import { MemoryStorage } from '../../src/storage/memoryStorage';
import { describeStorageContract } from './contract';

describeStorageContract('MemoryStorage', { make: async () => new MemoryStorage() });
