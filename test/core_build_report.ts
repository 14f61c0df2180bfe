// A jasmine helper for test/core_builds_node_test.ts' child run (`--helper=`), not a spec: after
// every suite it prints which build of the WebAssembly core ran and which shared build the thread
// pool ran, and how many calls were cut between threads, so that the parent can check the parity
// suites really ran on the build it asked for.
import {cpuCoreBuild} from '../src/index.js';
import {poolBuildForTests, threadedCallsForTests} from '../kernels/simd/threads.js';

afterAll(() => {
  console.log(`core builds: ${JSON.stringify({
    core: cpuCoreBuild(), pool: poolBuildForTests(), threadedCalls: threadedCallsForTests()})}`);
});
