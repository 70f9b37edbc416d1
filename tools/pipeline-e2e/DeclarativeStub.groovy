/**
 * Just enough of Jenkins' declarative pipeline to ask: "what would this Jenkinsfile do on branch X?"
 *
 *   def model = DeclarativeStub.load(new File('Jenkinsfile'))           // evaluates the file once; nothing runs
 *   List<Map> events = DeclarativeStub.run(model, [BRANCH_NAME: 'main']) // one simulated build
 *   DeclarativeStub.run(model, env, ['a/file': 'text'])                  // readFile('a/file') returns 'text'
 *
 * Each event is a Map: kind ('agent' | 'input' | 'stage' | 'skip' | 'step'), stage (innermost stage name),
 * ('input' is a stage-level input, or an input step, which waits holding the stage's agent),
 * node (the agent label held at that moment, or null), and for steps: name ('sh', 'withCredentials', ...),
 * arg (sh: the command; withCredentials: the credential ids; otherwise the arguments), post (true in post blocks),
 * locks (the resources the enclosing stages hold through options { lock(...) }).
 *
 * A stage runs in Jenkins' order: when (if beforeOptions) -> options -> when (if beforeInput) -> input
 * -> when (if beforeAgent) -> agent -> when -> steps or nested stages -> post. Only the steps of the plugins the
 * README lists exist (class Steps); a closure given to a step runs in place. Every build is assumed to succeed.
 * `env.X = ...` in a script block sets X for the later stages' `when { environment ... }`, as in Jenkins; readFile
 * of a file the test did not give fails, so a Jenkinsfile cannot depend on a file content nobody thought about.
 */
class DeclarativeStub {
  static Model load(File jenkinsfile) {
    def model = new Model()
    def binding = new Binding()
    binding.setVariable('pipeline', { Closure body -> evaluate(body, new PipelineSection(model)) })
    new GroovyShell(binding).evaluate(jenkinsfile)
    if (!model.stages) throw new IllegalStateException("$jenkinsfile declares no pipeline { stages { ... } }")
    model
  }

  static List<Map> run(Model model, Map env, Map<String, String> files = [:]) {
    def build = new Build(env: [:] + model.environment + env, files: files)
    model.stages.each { build.runStage(it, null) }
    model.post.each { condition, body -> if (condition in ['always', 'success', 'cleanup']) build.runSteps(body, '(pipeline post)', null, true) }
    build.events
  }

  static Object evaluate(Closure body, Object section) {
    Closure c = (Closure) body.clone()
    c.delegate = section
    c.resolveStrategy = Closure.DELEGATE_FIRST
    c.call()
  }

  // agent none | agent any | agent { label 'x' } -> null or a label
  static String agentLabel(Object agent) {
    if (agent == null || agent == 'none') return null
    if (agent instanceof Closure) {
      def labels = []
      evaluate(agent, new Recorder({ name, args -> labels << (name == 'label' ? args[0] : name) }))
      return labels.join(' ')
    }
    agent.toString()
  }
}

class Model {
  String agent
  List<Map> options = []
  Map environment = [:]
  List<Stage> stages = []
  Map<String, Closure> post = [:]
}

class Stage {
  String name
  Object agent            // null when the stage declares none (it inherits), 'none', or a Closure
  Closure when
  Map input
  List<Map> options = []
  Closure steps
  List<Stage> stages = []
  Map<String, Closure> post = [:]
}

/** Records the calls of the agent and input sections (names and arguments); they hold no steps. */
class Recorder {
  Closure onCall
  Recorder(Closure onCall) { this.onCall = onCall }
  def methodMissing(String name, Object args) { onCall(name, args as List) }
  def propertyMissing(String name) { name }
}

class PipelineSection {
  Model model
  PipelineSection(Model model) { this.model = model }
  def agent(Object agent) { model.agent = agent instanceof Closure ? DeclarativeStub.agentLabel(agent) : agent }
  def options(Closure body) { DeclarativeStub.evaluate(body, new OptionsSection(model.options)) }
  def environment(Closure body) { DeclarativeStub.evaluate(body, new EnvironmentSection(model.environment)) }
  def stages(Closure body) { DeclarativeStub.evaluate(body, new StagesSection(model.stages)) }
  def post(Closure body) { DeclarativeStub.evaluate(body, new PostSection(model.post)) }
  def propertyMissing(String name) { name } // `agent none`, `agent any`
}

/** The options of the plugins the README lists, one method each; any other option throws, as in Jenkins. */
/**
 * The declarative post conditions, explicitly: the steps inside them resolve through this section (their
 * closures' owner), so a catch-all here would swallow a misspelled step.
 */
class PostSection {
  Map<String, Closure> post
  PostSection(Map<String, Closure> post) { this.post = post }
  def always(Closure c) { post.always = c }
  def success(Closure c) { post.success = c }
  def failure(Closure c) { post.failure = c }
  def unstable(Closure c) { post.unstable = c }
  def unsuccessful(Closure c) { post.unsuccessful = c }
  def aborted(Closure c) { post.aborted = c }
  def changed(Closure c) { post.changed = c }
  def fixed(Closure c) { post.fixed = c }
  def regression(Closure c) { post.regression = c }
  def cleanup(Closure c) { post.cleanup = c }
}

class OptionsSection {
  static final Map<String, List<String>> PLUGIN_OPTIONS = [
    'workflow-aggregator': ['buildDiscarder', 'logRotator', 'disableConcurrentBuilds', 'timeout', 'retry', 'skipDefaultCheckout'],
    'timestamper'        : ['timestamps'],
    'lockable-resources' : ['lock'],
  ]
  List<Map> options
  OptionsSection(List<Map> options) { this.options = options }
  def buildDiscarder(Object... a) { option('buildDiscarder', a) }
  def logRotator(Object... a) { [name: 'logRotator', args: a as List] } // an argument of buildDiscarder
  def disableConcurrentBuilds(Object... a) { option('disableConcurrentBuilds', a) }
  def timeout(Object... a) { option('timeout', a) }
  def retry(Object... a) { option('retry', a) }
  def skipDefaultCheckout(Object... a) { option('skipDefaultCheckout', a) }
  def timestamps(Object... a) { option('timestamps', a) }
  def lock(Object... a) { option('lock', a) }

  private Map option(String name, Object[] args) {
    def option = [name: name, args: args as List]
    options << option
    option
  }
}

class EnvironmentSection {
  Map values
  EnvironmentSection(Map values) { this.values = values }
  void propertyMissing(String name, Object value) { values[name] = value.toString() }
  def methodMissing(String name, Object args) { "${name}(${(args as List).join(', ')})" } // credentials('id')
}

class StagesSection {
  List<Stage> stages
  StagesSection(List<Stage> stages) { this.stages = stages }
  def stage(String name, Closure body) {
    def stage = new Stage(name: name)
    DeclarativeStub.evaluate(body, new StageSection(stage))
    stages << stage
  }
}

class StageSection {
  Stage stage
  StageSection(Stage stage) { this.stage = stage }
  def agent(Object agent) { stage.agent = agent }
  def when(Closure body) { stage.when = body }
  def steps(Closure body) { stage.steps = body }
  def options(Closure body) { DeclarativeStub.evaluate(body, new OptionsSection(stage.options)) }
  def stages(Closure body) { DeclarativeStub.evaluate(body, new StagesSection(stage.stages)) }
  def post(Closure body) { DeclarativeStub.evaluate(body, new PostSection(stage.post)) }
  def input(Closure body) {
    stage.input = [:]
    DeclarativeStub.evaluate(body, new Recorder({ name, args -> stage.input[name] = args[0] }))
  }
  def propertyMissing(String name) { name }
}

/** Evaluates a `when` block for one build: the conditions are all required, as in Jenkins. */
class WhenSection {
  Map env
  List<Boolean> results = []
  Map flags = [:]
  WhenSection(Map env) { this.env = env }

  boolean passes(Closure body) { DeclarativeStub.evaluate(body, this); results.every() }

  def branch(String pattern) { results << globMatches(pattern, env.BRANCH_NAME as String) }
  def changeRequest(Map filters = [:]) { results << (env.CHANGE_ID != null) }
  def buildingTag() { results << (env.TAG_NAME != null) }
  def environment(Map args) { results << (env[args.name] == args.value) }
  def expression(Closure body) { results << (body.call() as boolean) }
  def not(Closure body) { results << !new WhenSection(env).passes(body) }
  def allOf(Closure body) { results << new WhenSection(env).passes(body) }
  def anyOf(Closure body) {
    def inner = new WhenSection(env)
    DeclarativeStub.evaluate(body, inner)
    results << inner.results.any()
  }
  def beforeAgent(boolean value) { flags.beforeAgent = value }
  def beforeInput(boolean value) { flags.beforeInput = value }
  def beforeOptions(boolean value) { flags.beforeOptions = value }

  // Jenkins' `branch` takes an Ant-style glob: `release/*`, `main`.
  static boolean globMatches(String pattern, String value) {
    value != null && value ==~ pattern.split(/\*/, -1).collect { java.util.regex.Pattern.quote(it) }.join('.*')
  }
}

class Build {
  Map env
  Map<String, String> files = [:] // what readFile returns, by path
  List<Map> events = []
  List<String> locks = [] // resources held by the enclosing stages' options { lock(...) }

  void runStage(Stage stage, String parentNode) {
    def when = new WhenSection(env)
    boolean passes = stage.when == null || when.passes(stage.when)
    def skipped = { String reason ->
      if (!passes) events << [kind: 'skip', stage: stage.name, node: parentNode, reason: reason]
      !passes
    }

    if (when.flags.beforeOptions && skipped('when, before options')) return
    // Stage options (a lock among them) apply before the input, so a lock is held while waiting for approval.
    def held = stage.options.findAll { it.name == 'lock' }.collect { o -> o.args[0] instanceof Map ? o.args[0].resource : o.args[0] }
    locks.addAll(held)
    try {
      if (when.flags.beforeInput && skipped('when, before input')) return
      if (stage.input) events << [kind: 'input', stage: stage.name, node: parentNode, input: stage.input, options: stage.options, locks: locks.clone()]
      if (when.flags.beforeAgent && skipped('when, before agent')) return

      String node = parentNode
      if (stage.agent != null) {
        node = DeclarativeStub.agentLabel(stage.agent)
        if (node != null) events << [kind: 'agent', stage: stage.name, node: node]
      }
      if (skipped('when')) return

      events << [kind: 'stage', stage: stage.name, node: node, options: stage.options, locks: locks.clone()]
      if (stage.steps) runSteps(stage.steps, stage.name, node, false)
      stage.stages.each { runStage(it, node) }
      stage.post.each { condition, body -> if (condition in ['always', 'success', 'cleanup']) runSteps(body, stage.name, node, true) }
    } finally {
      held.each { locks.remove(locks.lastIndexOf(it)) }
    }
  }

  void runSteps(Closure body, String stageName, String node, boolean post) {
    DeclarativeStub.evaluate(body, new Steps(this, stageName, node, post))
  }
}

/**
 * The steps of the plugins tools/pipeline-e2e/README.md lists, one method each: a step from any other plugin, or a
 * misspelled one, throws MissingMethodException, as Jenkins would fail the build ("No such DSL method").
 */
class Steps {
  // plugin id (as in the README's plugin list) -> the steps (and credential bindings) it provides.
  static final Map<String, List<String>> PLUGIN_STEPS = [
    'workflow-aggregator'    : ['sh', 'echo', 'error', 'timeout', 'retry', 'sleep', 'dir', 'deleteDir', 'readFile', 'writeFile',
                                'fileExists', 'withEnv', 'catchError', 'archiveArtifacts', 'stash', 'unstash', 'script'],
    'credentials-binding'    : ['withCredentials', 'file', 'string', 'usernamePassword', 'sshUserPrivateKey'],
    'aws-credentials'        : ['aws'],
    'pipeline-milestone-step': ['milestone'],
    'pipeline-input-step'    : ['input'],
    'lockable-resources'     : ['lock'],
    'ws-cleanup'             : ['cleanWs'],
    'sonar'                  : ['withSonarQubeEnv', 'waitForQualityGate'],
  ]
  static final List<String> CREDENTIAL_BINDINGS = ['file', 'string', 'aws', 'usernamePassword', 'sshUserPrivateKey']
  Build build
  String stageName
  String node
  boolean post

  Steps(Build build, String stageName, String node, boolean post) {
    this.build = build; this.stageName = stageName; this.node = node; this.post = post
  }

  def sh(Object... a) { step('sh', a) }
  def echo(Object... a) { step('echo', a) }
  def error(Object... a) { step('error', a) }
  def timeout(Object... a) { step('timeout', a) }
  def retry(Object... a) { step('retry', a) }
  def sleep(Object... a) { step('sleep', a) }
  def dir(Object... a) { step('dir', a) }
  def deleteDir(Object... a) { step('deleteDir', a) }
  def readFile(Object... a) { step('readFile', a) }
  def writeFile(Object... a) { step('writeFile', a) }
  def fileExists(Object... a) { step('fileExists', a) }
  def withEnv(Object... a) { step('withEnv', a) }
  def catchError(Object... a) { step('catchError', a) }
  def archiveArtifacts(Object... a) { step('archiveArtifacts', a) }
  def stash(Object... a) { step('stash', a) }
  def unstash(Object... a) { step('unstash', a) }
  def script(Object... a) { step('script', a) }
  def withCredentials(Object... a) { step('withCredentials', a) }
  def file(Map a) { [binding: 'file'] + a }
  def string(Map a) { [binding: 'string'] + a }
  def usernamePassword(Map a) { [binding: 'usernamePassword'] + a }
  def sshUserPrivateKey(Map a) { [binding: 'sshUserPrivateKey'] + a }
  def aws(Map a) { [binding: 'aws'] + a }
  def milestone(Object... a) { step('milestone', a) }
  def input(Object... a) { step('input', a) }
  def lock(Object... a) { step('lock', a) }
  def cleanWs(Object... a) { step('cleanWs', a) }
  def withSonarQubeEnv(Object... a) { step('withSonarQubeEnv', a) }
  def waitForQualityGate(Object... a) { step('waitForQualityGate', a) }

  /** The step names this class implements (checked against PLUGIN_STEPS by the test). */
  static Set<String> implemented() {
    Steps.declaredMethods.findAll { !it.synthetic && !(it.name in ['step', 'implemented', 'getEnv', 'getCurrentBuild', 'propertyMissing']) && !it.name.contains('$') && !(it.name =~ /^(get|set|is)[A-Z]/) }*.name as Set
  }

  private Object step(String name, Object[] rawArgs) {
    List args = rawArgs as List
    if (name == 'input') { // the step form: waits inside the stage, holding its agent
      def input = args[0] instanceof Map ? (Map) args[0] : [message: args[0]]
      build.events << [kind: 'input', stage: stageName, node: node, input: input, options: [], post: post]
      return null
    }
    if (name == 'readFile') {
      def path = args[0] instanceof Map ? args[0].file : args[0]
      build.events << [kind: 'step', stage: stageName, node: node, name: name, arg: args, post: post, locks: build.locks.clone()]
      if (!build.files.containsKey(path)) throw new IllegalStateException("readFile('$path'): the test gives this build no such file")
      return build.files[path]
    }
    def arg = args
    if (name == 'sh') arg = args[0] instanceof Map ? args[0].script : args[0]
    if (name == 'withCredentials') arg = args[0].collect { it.credentialsId }
    build.events << [kind: 'step', stage: stageName, node: node, name: name, arg: arg, post: post, locks: build.locks.clone()]
    if (args && args[-1] instanceof Closure) DeclarativeStub.evaluate((Closure) args[-1], this)
    name == 'sh' && args[0] instanceof Map && args[0].returnStdout ? '' : null
  }

  def getEnv() { build.env }
  def getCurrentBuild() { [currentResult: 'SUCCESS', result: 'SUCCESS', number: 1] }
  def propertyMissing(String name) { build.env.containsKey(name) ? build.env[name] : "\${$name}" }
}
